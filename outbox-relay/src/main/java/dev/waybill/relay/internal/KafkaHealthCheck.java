package dev.waybill.relay.internal;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the Kafka cluster for its id, with the relay's own {@code kafka.*} settings (TLS, SASL), for
 * {@code /health}. The admin client is created on first use and kept. Called from one maintenance
 * thread; {@link #close} from the stopping thread. Not API.
 */
public final class KafkaHealthCheck implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaHealthCheck.class);

  private final Map<String, String> kafka;
  private final String instance;
  private volatile Admin admin;

  /**
   * @param kafka the relay's producer settings (without the {@code kafka.} prefix)
   * @param instance the relay id, for the client id and log lines
   */
  public KafkaHealthCheck(Map<String, String> kafka, String instance) {
    this.kafka = kafka;
    this.instance = instance;
  }

  /** Whether the cluster answered within about 3 s. */
  public boolean reachable() {
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
      return true;
    } catch (Exception e) {
      LOG.debug("relay {}: Kafka health check failed: {}", instance, e.toString());
      return false;
    }
  }

  /** Closes the admin client, waiting at most {@code timeout}. */
  public void close(Duration timeout) {
    Admin a = admin;
    if (a != null) {
      a.close(timeout);
    }
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(2));
  }
}
