package dev.waybill.testkit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A broker in a Testcontainers container. Stopping pauses the container (a restarted container
 * would get a new host port), so clients see an unresponsive broker rather than a refused
 * connection.
 */
final class ContainerKafka implements KafkaBroker {

  private static final String IMAGE = "apache/kafka:4.1.2";
  private static final Logger LOG = LoggerFactory.getLogger(ContainerKafka.class);

  private final KafkaContainer container;
  private boolean paused;

  ContainerKafka() {
    container = new KafkaContainer(DockerImageName.parse(IMAGE));
    long started = System.nanoTime();
    container.start();
    Cleanup.atExit("stop the Kafka container", container::stop);
    LOG.info("Kafka container {} started in {} ms", IMAGE, Databases.millisSince(started));
  }

  @Override
  public String bootstrapServers() {
    return container.getBootstrapServers();
  }

  @Override
  public synchronized void stop() {
    if (!paused) {
      container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
      paused = true;
    }
  }

  @Override
  public synchronized void start() {
    if (paused) {
      container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
      paused = false;
    }
  }

  @Override
  public synchronized boolean isRunning() {
    return !paused;
  }

  @Override
  public String describe() {
    return "Testcontainers " + IMAGE + " at " + bootstrapServers();
  }
}
