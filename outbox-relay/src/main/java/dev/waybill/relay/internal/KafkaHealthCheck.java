package dev.waybill.relay.internal;

import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.internal.KafkaAuthentication;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the Kafka cluster for its id, with the relay's own {@code kafka.*} settings (TLS, SASL), for
 * {@code /health}, and keeps track of whether Kafka refuses the relay's credentials: at start
 * ({@link #checkCredentials}), on every check, and when a send fails ({@link #noteFailure}). A
 * refusal is logged at ERROR once, when it begins, and makes the relay unhealthy until Kafka
 * accepts the credentials again. The admin client is created on first use and kept. Checks run on
 * one thread at a time (start, then the maintenance thread); {@link #close} from the stopping
 * thread. Not API.
 */
public final class KafkaHealthCheck implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaHealthCheck.class);

  private final Map<String, String> kafka;
  private final String instance;
  private volatile Admin admin;
  private volatile String refusal;

  /**
   * @param kafka the relay's producer settings (without the {@code kafka.} prefix)
   * @param instance the relay id, for the client id and log lines
   */
  public KafkaHealthCheck(Map<String, String> kafka, String instance) {
    this.kafka = kafka;
    this.instance = instance;
  }

  /**
   * At start: fails when Kafka refuses the relay's credentials. Returns when Kafka accepts them and
   * also when it does not answer within about 3 s (the relay then waits for Kafka as through any
   * outage).
   *
   * @throws WaybillException naming the user, the mechanism and what to check
   */
  public void checkCredentials() {
    Optional<Throwable> refused = check().flatMap(KafkaAuthentication::failure);
    if (refused.isPresent()) {
      close(Duration.ZERO);
      throw new WaybillException(
          "relay "
              + instance
              + ": "
              + KafkaAuthentication.describe(kafka, "kafka.", refused.get())
              + "; the relay does not start",
          refused.get());
    }
  }

  /** Whether the cluster answered within about 3 s. */
  public boolean reachable() {
    Optional<Throwable> failure = check();
    if (failure.isEmpty()) {
      accepted();
      return true;
    }
    LOG.debug("relay {}: Kafka health check failed: {}", instance, failure.get().toString());
    noteFailure(failure.get());
    return false;
  }

  /**
   * Notes a failed send or check: when Kafka refused the credentials, the refusal begins (logged at
   * ERROR if it is new). Other failures change nothing.
   *
   * @return whether the failure is an authentication failure
   */
  public synchronized boolean noteFailure(Throwable failure) {
    Optional<Throwable> refused = KafkaAuthentication.failure(failure);
    if (refused.isEmpty()) {
      return false;
    }
    // the next check authenticates anew: a connection opened before the refusal (a changed
    // password) must not end it
    close(Duration.ZERO);
    String text = KafkaAuthentication.describe(kafka, "kafka.", refused.get());
    if (refusal == null) {
      LOG.error(
          "relay {}: {}; nothing is published until Kafka accepts the credentials (the relay"
              + " reports unhealthy)",
          instance,
          text);
    }
    refusal = text;
    return true;
  }

  /** Notes that Kafka answered or acknowledged: a refusal ends. */
  public synchronized void accepted() {
    if (refusal != null) {
      refusal = null;
      LOG.info("relay {}: Kafka accepts the relay's credentials again", instance);
    }
  }

  /** The current refusal of the relay's credentials, described for an operator. */
  public Optional<String> refusal() {
    return Optional.ofNullable(refusal);
  }

  /** Asks for the cluster id: empty when it answered, else the failure. */
  private Optional<Throwable> check() {
    try {
      Admin a = admin;
      if (a == null) {
        Properties p = new Properties();
        kafka.forEach(p::put);
        p.put("client.id", "waybill-relay-health-" + instance);
        a = Admin.create(p);
        admin = a;
      }
      a.describeCluster(new DescribeClusterOptions().timeoutMs(2000))
          .clusterId()
          .get(3, TimeUnit.SECONDS);
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of(e);
    } catch (Exception e) {
      // after an authentication failure (an admin client keeps it for good) noteFailure() closes
      // the client, so the next check uses a new one
      return Optional.of(e);
    }
  }

  /** Closes the admin client, waiting at most {@code timeout}. */
  public void close(Duration timeout) {
    Admin a = admin;
    if (a != null) {
      admin = null;
      a.close(timeout);
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(2));
  }
}
