package org.hesse.eigen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ludovic.netlib.arpack.ARPACK;
import dev.ludovic.netlib.arpack.NativeARPACK;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The battery on the JNI back end (libarpack.so.2); skipped, visibly, when the library is missing. */
class ArpackNativeTest extends ArpackCheck {
  @BeforeAll
  static void needsNative() {
    assumeTrue(Arpack.nativeBackend() != null, "libarpack.so.2 not available: JNI ARPACK not tested");
  }

  @Override
  ARPACK backend() {
    return Arpack.nativeBackend();
  }

  @Test
  void isNative() {
    assertTrue(backend() instanceof NativeARPACK);
  }
}
