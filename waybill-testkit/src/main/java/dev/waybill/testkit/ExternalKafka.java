package dev.waybill.testkit;

import java.time.Duration;

/** A broker the testkit did not start and so cannot stop. */
final class ExternalKafka implements KafkaBroker {

  private final String bootstrapServers;
  private final String setting;

  ExternalKafka(String bootstrapServers, String setting) {
    this.bootstrapServers = bootstrapServers;
    this.setting = setting;
    try {
      KafkaAdmin.awaitCluster(bootstrapServers, Duration.ofSeconds(15));
    } catch (IllegalStateException e) {
      throw new IllegalStateException(
          setting + " is set to " + bootstrapServers + " but " + e.getMessage(), e);
    }
  }

  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public void stop() {
    throw unsupported("stop");
  }

  @Override
  public void start() {
    throw unsupported("start");
  }

  private UnsupportedOperationException unsupported(String what) {
    return new UnsupportedOperationException(
        "TestKafka cannot "
            + what
            + " the external broker at "
            + bootstrapServers
            + " given by "
            + setting
            + "; unset it to let the testkit run a broker of its own");
  }

  @Override
  public boolean isRunning() {
    return true;
  }

  @Override
  public String describe() {
    return "external broker " + bootstrapServers + " (" + setting + ")";
  }
}
