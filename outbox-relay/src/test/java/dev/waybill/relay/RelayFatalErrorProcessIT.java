package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sidecar jar when one of its threads dies of an {@link Error}: the relay stops with an ERROR
 * line and the process exits non-zero, so that it is restarted, instead of staying up and healthy
 * while it publishes nothing.
 */
class RelayFatalErrorProcessIT {
  static final Path JAR = Path.of("target", "outbox-relay.jar");

  TestDatabase db;
  Process relay;

  @AfterEach
  void tearDown() {
    if (relay != null) {
      relay.destroyForcibly();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void aProducerThreadThatDiesStopsTheRelayWithAnErrorAndANonZeroExit() throws Exception {
    String out = runUntilItStops("kafka.interceptor.classes=" + DyingInterceptor.class.getName());
    assertThat(out)
        .contains("relay dies: the publish loop failed with")
        .contains("its I/O thread has stopped");
  }

  @Test
  void anErrorInThePublishLoopStopsTheRelayWithAnErrorAndANonZeroExit() throws Exception {
    String out = runUntilItStops("kafka.partitioner.class=" + DyingPartitioner.class.getName());
    assertThat(out)
        .contains("relay dies: the publish loop failed with java.lang.OutOfMemoryError: injected");
  }

  /** Runs the sidecar with one message to publish and {@code fault}; returns its log. */
  String runUntilItStops(String fault) throws Exception {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    String topic = "dies-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 1);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      Outbox.builder().build().write(c, RelayContract.msg(topic, "k", 1));
      c.commit();
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx128m");
    cmd.add("-cp");
    cmd.add(JAR + File.pathSeparator + Path.of("target", "test-classes"));
    cmd.add("dev.waybill.relay.cli.RelayMain");
    cmd.add("run");
    cmd.addAll(LargeBacklogProcessIT.connection(db));
    cmd.addAll(
        List.of(
            "--set",
            fault,
            "--set",
            "relay.instance.id=dies",
            "--set",
            "relay.send.timeout=2s",
            "--set",
            "relay.lease.ttl=10s",
            "--set",
            "relay.lease.renew.interval=1s",
            "--set",
            "http.port=-1"));
    Path log = Files.createTempFile("relay-dies", ".log");
    relay = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean exited = relay.waitFor(3, TimeUnit.MINUTES);
    String out = Files.readString(log);
    assertThat(exited).as("the relay process ended by itself; its log:%n%s", out).isTrue();
    assertThat(relay.exitValue()).as(out).isEqualTo(1);
    assertThat(out).contains("ERROR").contains("the sidecar exits with status 1");
    return out;
  }
}
