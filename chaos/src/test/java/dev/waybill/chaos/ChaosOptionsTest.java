package dev.waybill.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.testkit.ProgramArgs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosOptionsTest {
  @TempDir Path dir;

  private String[] withJars(String... args) throws IOException {
    Path relay = Files.createFile(dir.resolve("outbox-relay.jar"));
    Path dlq = Files.createFile(dir.resolve("dlq.jar"));
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--relay.jar";
    all[args.length + 1] = relay.toString();
    all[args.length + 2] = "--dlq.jar";
    all[args.length + 3] = dlq.toString();
    return all;
  }

  @Test
  void theDefaultsAreTheTwoMinuteRunOnPostgresWithOneFaultPerTwelveSeconds() throws IOException {
    ChaosOptions o = ChaosOptions.parse(withJars("--seed", "42"));

    assertThat(o.seed()).isEqualTo(42);
    assertThat(o.duration()).isEqualTo(Duration.ofMinutes(2));
    assertThat(o.faults()).isEqualTo(10);
    assertThat(o.db()).isEqualTo(RigDatabase.POSTGRES);
    assertThat(o.cdc()).isFalse();
    assertThat(o.workDir().getFileName().toString()).endsWith("-postgres-polling-42");
  }

  @Test
  void everyBadOptionIsReportedAtOnceWithTheValueAndWhatWasExpected() throws IOException {
    String[] args =
        withJars("--duration", "5x", "--rate", "0", "--db", "oracle", "--relay.set", "novalue");

    assertThatThrownBy(() -> ChaosOptions.parse(args))
        .isInstanceOf(ProgramArgs.BadArgumentsException.class)
        .hasMessageContaining("'5x' → --duration → expected a duration")
        .hasMessageContaining("'0' → --rate → expected 1 to 100000")
        .hasMessageContaining("'oracle' → --db → expected postgres or mariadb")
        .hasMessageContaining("'novalue' → --relay.set → expected key=value");
  }

  @Test
  void theCdcRelayOnMariaDbIsRefusedBecauseItNeedsPostgres() throws IOException {
    String[] args = withJars("--db", "mariadb", "--relay", "cdc");

    assertThatThrownBy(() -> ChaosOptions.parse(args))
        .hasMessageContaining("'cdc' → --relay → the CDC relay needs PostgreSQL");
  }

  @Test
  void aMissingRelayJarIsNamedWithHowToBuildIt() {
    assertThatThrownBy(
            () ->
                ChaosOptions.parse(
                    new String[] {"--relay.jar", dir.resolve("nope.jar").toString()}))
        .hasMessageContaining("nope.jar' → --relay.jar → no such file: build it");
  }
}
