package dev.waybill.relay.cli;

import dev.waybill.outbox.internal.KafkaAuthentication;
import dev.waybill.relay.RelayConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The Kafka checks of {@code doctor}, with the relay's own {@code kafka.*} settings (TLS, SASL):
 * the cluster answers and accepts the credentials; every topic that pending messages name exists,
 * with its partition count; the relay's principal may write to it (when the cluster reports
 * authorized operations); and its {@code min.insync.replicas} can be met with {@code acks=all}.
 */
final class KafkaChecks {
  static final String GROUP = "kafka";
  private static final long TIMEOUT_MS = 10_000;

  private KafkaChecks() {}

  /**
   * @param topics the topics of pending messages, in order; empty when none are pending
   */
  static void check(RelayConfig config, Collection<String> topics, List<DoctorCheck> out) {
    Map<String, String> kafka = config.kafka();
    Properties p = new Properties();
    kafka.forEach(p::put);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "waybill-doctor-" + config.instanceId());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT_MS));
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(TIMEOUT_MS / 2));
    String brokers = kafka.getOrDefault("bootstrap.servers", "");
    try (Admin admin = Admin.create(onlyAdminSettings(p))) {
      Node controller;
      try {
        DescribeClusterResult cluster =
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT_MS));
        String id = get(cluster.clusterId());
        Collection<Node> nodes = get(cluster.nodes());
        controller = nodes.iterator().next();
        out.add(
            DoctorCheck.ok(
                GROUP,
                "reachable",
                "cluster " + id + " at " + brokers + ", " + nodes.size() + " broker(s)"));
      } catch (Exception e) {
        out.add(unreachable(kafka, brokers, e));
        return;
      }
      if (topics.isEmpty()) {
        out.add(DoctorCheck.ok(GROUP, "topics", "no pending messages: no topic to check"));
        return;
      }
      Map<String, KafkaFuture<TopicDescription>> described =
          admin
              .describeTopics(topics, new DescribeTopicsOptions().includeAuthorizedOperations(true))
              .topicNameValues();
      List<TopicDescription> found = new ArrayList<>();
      for (String topic : topics) {
        String name = "topic " + topic;
        try {
          TopicDescription d = get(described.get(topic));
          found.add(d);
          int rf = d.partitions().get(0).replicas().size();
          out.add(
              DoctorCheck.ok(
                  GROUP, name, d.partitions().size() + " partition(s), replication factor " + rf));
          Set<AclOperation> ops = d.authorizedOperations();
          if (ops != null && !ops.contains(AclOperation.WRITE) && !ops.contains(AclOperation.ALL)) {
            out.add(
                DoctorCheck.failed(
                    GROUP,
                    "write " + topic,
                    "the relay's principal may not write to topic " + topic,
                    "kafka-acls.sh --add --allow-principal User:<relay's user> --operation Write"
                        + " --operation Describe --topic "
                        + topic));
          } else {
            out.add(
                DoctorCheck.ok(
                    GROUP,
                    "write " + topic,
                    ops == null ? "the cluster reports no authorizer: allowed" : "allowed"));
          }
        } catch (Exception e) {
          Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
          if (cause instanceof UnknownTopicOrPartitionException) {
            Boolean autoCreate = autoCreate(admin, controller);
            String fix =
                "kafka-topics.sh --create --topic "
                    + topic
                    + " --partitions <N> --replication-factor 3 (messages of one key keep their"
                    + " order within one partition; choose N before the first message)";
            if (autoCreate == null) {
              out.add(
                  DoctorCheck.warning(
                      GROUP,
                      name,
                      "does not exist, and whether the broker creates topics on the first send"
                          + " (auto.create.topics.enable) could not be read",
                      fix));
            } else if (autoCreate) {
              out.add(
                  DoctorCheck.warning(
                      GROUP,
                      name,
                      "does not exist; the broker creates it with its default partition count"
                          + " and replication factor on the first send"
                          + " (auto.create.topics.enable=true)",
                      fix));
            } else {
              out.add(
                  DoctorCheck.failed(
                      GROUP,
                      name,
                      "does not exist, and the broker does not create topics"
                          + " (auto.create.topics.enable=false): its messages cannot be"
                          + " published",
                      fix));
            }
          } else if (cause instanceof TopicAuthorizationException) {
            out.add(
                DoctorCheck.failed(
                    GROUP,
                    name,
                    "the relay's principal may not describe topic " + topic,
                    "kafka-acls.sh --add --allow-principal User:<relay's user> --operation Write"
                        + " --operation Describe --topic "
                        + topic));
          } else {
            out.add(DoctorCheck.failed(GROUP, name, "cannot describe: " + cause, "see the cause"));
          }
        }
      }
      minInsyncReplicas(admin, found, out);
    }
  }

  private static void minInsyncReplicas(
      Admin admin, List<TopicDescription> topics, List<DoctorCheck> out) {
    if (topics.isEmpty()) {
      return;
    }
    List<ConfigResource> resources =
        topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).toList();
    Map<ConfigResource, Config> configs;
    try {
      configs =
          get(
              admin
                  .describeConfigs(
                      resources, new DescribeConfigsOptions().timeoutMs((int) TIMEOUT_MS))
                  .all());
    } catch (Exception e) {
      out.add(
          DoctorCheck.warning(
              GROUP,
              "min.insync.replicas",
              "cannot read the topics' configuration: " + cause(e),
              "grant the relay's principal DescribeConfigs on the topics to have it checked"));
      return;
    }
    for (TopicDescription t : topics) {
      Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
      ConfigEntry e = c == null ? null : c.get("min.insync.replicas");
      if (e == null || e.value() == null) {
        continue;
      }
      int minIsr = Integer.parseInt(e.value());
      int rf = t.partitions().get(0).replicas().size();
      String name = "min.insync.replicas " + t.name();
      String detail = "min.insync.replicas=" + minIsr + ", replication factor " + rf;
      if (minIsr > rf) {
        out.add(
            DoctorCheck.failed(
                GROUP,
                name,
                detail
                    + ": every send with acks=all (the relay's) fails with"
                    + " NotEnoughReplicas",
                "kafka-configs.sh --alter --entity-type topics --entity-name "
                    + t.name()
                    + " --add-config min.insync.replicas="
                    + Math.max(1, rf - 1)
                    + ", or raise the replication factor"));
      } else if (rf > 1 && minIsr >= rf) {
        out.add(
            DoctorCheck.warning(
                GROUP,
                name,
                detail + ": one broker down stops publishing to this topic",
                "set min.insync.replicas to " + (rf - 1) + " (e.g. 2 with replication factor 3)"));
      } else if (rf == 1) {
        out.add(
            DoctorCheck.warning(
                GROUP,
                name,
                detail + ": a broker's failure can lose acknowledged messages",
                "use replication factor 3 with min.insync.replicas=2 in production"));
      } else {
        out.add(DoctorCheck.ok(GROUP, name, detail));
      }
    }
  }

  /** The broker's auto.create.topics.enable; null when it cannot be read (no DescribeConfigs). */
  private static Boolean autoCreate(Admin admin, Node node) {
    ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, node.idString());
    try {
      Config c = get(admin.describeConfigs(List.of(broker)).all()).get(broker);
      ConfigEntry e = c == null ? null : c.get("auto.create.topics.enable");
      return e == null || e.value() == null ? null : Boolean.parseBoolean(e.value());
    } catch (Exception e) {
      return null;
    }
  }

  private static DoctorCheck unreachable(Map<String, String> kafka, String brokers, Exception e) {
    return KafkaAuthentication.failure(e)
        .map(
            refused ->
                DoctorCheck.failed(
                    GROUP,
                    "reachable",
                    KafkaAuthentication.describe(kafka, "kafka.", refused),
                    "fix the credentials in kafka.* settings"))
        .orElseGet(
            () ->
                DoctorCheck.failed(
                    GROUP,
                    "reachable",
                    "Kafka at "
                        + brokers
                        + " did not answer within "
                        + TIMEOUT_MS / 1000
                        + " s ("
                        + cause(e)
                        + ")",
                    "check kafka.bootstrap.servers, that the brokers run, and that"
                        + " kafka.security.protocol matches their listener"));
  }

  private static String cause(Exception e) {
    Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  private static <T> T get(KafkaFuture<T> f) throws Exception {
    try {
      return f.get(TIMEOUT_MS + 2_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw e;
    } catch (TimeoutException e) {
      throw e;
    }
  }

  /** The producer settings an admin client also understands (no warning for the others). */
  private static Properties onlyAdminSettings(Properties p) {
    Properties out = new Properties();
    Set<String> known = AdminClientConfig.configNames();
    p.forEach(
        (k, v) -> {
          if (known.contains(k.toString())) {
            out.put(k, v);
          }
        });
    return out;
  }
}
