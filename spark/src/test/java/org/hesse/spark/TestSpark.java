package org.hesse.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * One Spark session for the module's tests (starting one takes seconds): local[2,2] — two worker threads, and a
 * task may fail once and be retried (spark.task.maxFailures = 2), which the fault test relies on. Bound to loopback.
 */
final class TestSpark {
  private static SparkSession session;

  private TestSpark() {}

  static synchronized SparkSession session() {
    if (session == null || session.sparkContext().isStopped()) {
      session = SparkSession.builder().master("local[2,2]").appName("hesse-spark-tests")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .getOrCreate();
      session.sparkContext().setLogLevel("WARN");
    }
    return session;
  }

  /** Stops the shared session (a test that needs a differently configured one: one SparkContext per JVM). */
  static synchronized void stop() {
    if (session != null) session.stop();
    session = null;
  }

  static JavaSparkContext context() {
    return JavaSparkContext.fromSparkContext(session().sparkContext());
  }
}
