package dev.waybill.testkit;

/** One way of having a Kafka broker: external, a container, or in-process. */
interface KafkaBroker {

  String bootstrapServers();

  /** Takes the broker away, keeping its data and address. */
  void stop();

  /** Brings a stopped broker back, with its data, at the same address. */
  void start();

  boolean isRunning();

  /** Where the broker comes from, for logs. */
  String describe();
}
