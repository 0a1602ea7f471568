package org.hesse.nativelib;

import java.util.List;

/**
 * Runs in a child JVM for {@link KernelChoiceTest}: a process whose environment the test controls.
 * {@code choice}: what a plain {@code java} process gets; {@code late}: OpenBLAS loaded before the choice;
 * {@code property VALUE}: with -Dhesse.openblas.coretype=VALUE;
 * {@code setenv NAME}: our setenv before our first dlopen, without the rule (proves OpenBLAS honours it).
 * Prints {@code key=value} lines.
 */
public final class KernelChoiceProbe {
  public static void main(String[] args) {
    switch (args[0]) {
      case "choice" -> {
        KernelChoice c = OpenBlas.kernelChoice();
        System.out.println("source=" + c.source());
        System.out.println("requested=" + c.requested());
        System.out.println("core=" + OpenBlas.coreName());
        System.out.println("env=" + OpenBlasLibrary.nativeGetenv(KernelChoice.ENV));
      }
      case "property" -> { // -Dhesse.openblas.coretype=VALUE, set before anything touches OpenBlas
        System.setProperty(KernelChoice.PROPERTY, args[1]);
        KernelChoice c = OpenBlas.kernelChoice();
        System.out.println("source=" + c.source());
        System.out.println("available=" + OpenBlas.isAvailable());
        System.out.println("core=" + OpenBlas.coreName());
      }
      case "late" -> {
        OpenBlasLibrary early = OpenBlasLibrary.open(List.of("libblas.so.3", "libopenblas.so.0"));
        System.out.println("early=" + early.isAvailable());
        System.out.println("source=" + OpenBlas.kernelChoice().source());
        System.out.println("core=" + OpenBlas.coreName());
      }
      case "setenv" -> {
        System.out.println("set=" + OpenBlasLibrary.nativeSetenvIfUnset(KernelChoice.ENV, args[1]));
        System.out.println("core=" + OpenBlasLibrary.open(OpenBlas.DEFAULT_CANDIDATES).coreName());
      }
      default -> throw new IllegalArgumentException("mode: expected choice, property, late or setenv, got '" + args[0] + "'");
    }
  }
}
