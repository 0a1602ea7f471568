package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.ludovic.netlib.arpack.ARPACK;
import dev.ludovic.netlib.arpack.NativeARPACK;
import org.junit.jupiter.api.Test;

/** The battery on the pure-Java (F2j) back end. */
class ArpackJavaTest extends ArpackCheck {
  @Override
  ARPACK backend() {
    return Arpack.javaBackend();
  }

  @Test
  void isJava() {
    assertFalse(backend() instanceof NativeARPACK);
  }
}
