package dev.waybill.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;

/**
 * Whether Testcontainers may be used, decided once per JVM.
 *
 * <p>Setting {@code WAYBILL_TEST_DOCKER=false} (or {@code -Dwaybill.test.docker=false}) skips the
 * Docker probe and goes straight to the embedded engines.
 */
final class Docker {

  private static final Logger LOG = LoggerFactory.getLogger(Docker.class);
  private static volatile Boolean available;

  private Docker() {}

  static boolean available() {
    Boolean result = available;
    if (result == null) {
      synchronized (Docker.class) {
        result = available;
        if (result == null) {
          result = probe();
          available = result;
        }
      }
    }
    return result;
  }

  private static boolean probe() {
    if ("false".equalsIgnoreCase(Settings.get("WAYBILL_TEST_DOCKER", "waybill.test.docker", ""))) {
      LOG.info("Testcontainers disabled by WAYBILL_TEST_DOCKER=false");
      return false;
    }
    try {
      boolean reachable = DockerClientFactory.instance().isDockerAvailable();
      LOG.info("Docker engine {}", reachable ? "available: using Testcontainers" : "not available");
      return reachable;
    } catch (RuntimeException | LinkageError e) {
      LOG.info("Docker engine not available: {}", e.toString());
      return false;
    }
  }
}
