package dev.waybill.relay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes example probes the paths whose meaning fits each probe: a liveness probe that
 * asked for readiness would restart a relay that is only waiting out a Kafka outage.
 */
class KubernetesExampleTest {
  private static final Path MANIFEST = Path.of("../deploy/kubernetes/relay-sidecar.yaml");

  @Test
  void theLivenessProbeAsksLiveAndTheReadinessProbeAsksReady() throws Exception {
    List<String> lines = Files.readAllLines(MANIFEST);
    assertThat(probePath(lines, "livenessProbe:")).isEqualTo("/health/live");
    assertThat(probePath(lines, "readinessProbe:")).isEqualTo("/health/ready");
  }

  /** The {@code path:} of the first probe of that kind, skipping comments. */
  private static String probePath(List<String> lines, String probe) {
    int at = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().equals(probe)) {
        at = i;
        break;
      }
    }
    assertThat(at).as(probe + " in " + MANIFEST).isNotNegative();
    for (int i = at + 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.startsWith("path:")) {
        return line.substring("path:".length()).strip();
      }
    }
    throw new AssertionError("no path under " + probe);
  }
}
