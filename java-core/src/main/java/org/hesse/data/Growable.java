package org.hesse.data;

import java.util.Arrays;

/** Append-only primitive buffers for readers that do not know the row count in advance. */
final class Growable {
    private Growable() {
    }

    static final class Doubles {
        private double[] a = new double[1024];
        private int size;

        void add(double v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        int size() {
            return size;
        }

        double[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    static final class Ints {
        private int[] a = new int[256];
        private int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, a.length * 2);
            }
            a[size++] = v;
        }

        int size() {
            return size;
        }

        int get(int i) {
            return a[i];
        }

        int[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }
}
