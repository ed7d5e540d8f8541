package dev.waybill.dlq.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.waybill.outbox.WaybillException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * The tool's own state in one compacted Kafka topic (default {@value #DEFAULT_TOPIC}, one
 * partition), so it needs no database and every operator sees the same state. JSON values under
 * three kinds of keys:
 *
 * <ul>
 *   <li>{@code job/<job id>}: a redrive job's progress (positions, counts, heartbeat), replaced at
 *       each checkpoint;
 *   <li>{@code resolved/<run id>/<n>}: dead letters redriven or discarded, as offset ranges;
 *   <li>{@code audit/<time>/<uuid>}: one audit entry (who, when, what, filter, count, offsets).
 * </ul>
 *
 * Not API.
 */
public final class StateStore implements AutoCloseable {
  /** Default state topic. */
  public static final String DEFAULT_TOPIC = "waybill-dlq-state";

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final KafkaClients clients;
  private final String topic;
  private KafkaProducer<byte[], byte[]> producer;

  /**
   * @param clients the Kafka clients
   * @param topic the state topic
   */
  public StateStore(KafkaClients clients, String topic) {
    this.clients = clients;
    this.topic = topic;
  }

  /** The state topic's name. */
  public String topic() {
    return topic;
  }

  /** A new JSON object. */
  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /** Reads the whole state topic; empty state when the topic does not exist yet. */
  public State load() {
    State state = new State();
    try (KafkaConsumer<byte[], byte[]> c = clients.consumer("waybill-dlq-state-reader")) {
      List<PartitionInfo> infos = c.listTopics(TIMEOUT).get(topic);
      if (infos == null || infos.isEmpty()) {
        return state;
      }
      List<TopicPartition> tps = new ArrayList<>();
      infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
      Map<TopicPartition, Long> ends = c.endOffsets(tps, TIMEOUT);
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<String, byte[]> latest = new LinkedHashMap<>();
      while (tps.stream().anyMatch(tp -> c.position(tp, TIMEOUT) < ends.get(tp))) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          if (r.key() == null) {
            continue;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            latest.remove(key);
          } else {
            latest.put(key, r.value());
          }
        }
      }
      latest.forEach((k, v) -> state.add(k, parse(k, v)));
    }
    return state;
  }

  /**
   * Creates the state topic (compacted, one partition) unless it exists. An existing topic is
   * looked up first, so that a principal without CREATE works with a topic created beforehand.
   */
  public void ensureTopic() {
    try (Admin admin = clients.admin()) {
      if (exists(admin)) {
        return;
      }
      NewTopic t =
          new NewTopic(topic, Optional.of(1), Optional.empty())
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      admin.createTopics(List.of(t)).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new WaybillException(
            "cannot create the state topic '"
                + topic
                + "' ("
                + e.getCause().getMessage()
                + "): create it compacted with one partition and grant the tool READ and WRITE on"
                + " it (or CREATE), or give --state-topic",
            e.getCause());
      }
    } catch (TimeoutException e) {
      throw new WaybillException("timed out creating the state topic '" + topic + "'", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaybillException("interrupted while creating the state topic", e);
    }
  }

  /** Whether the state topic exists; false also when the principal may not describe it. */
  private boolean exists(Admin admin) throws InterruptedException, TimeoutException {
    try {
      admin
          .describeTopics(List.of(topic))
          .allTopicNames()
          .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException
          || e.getCause() instanceof TopicAuthorizationException) {
        return false;
      }
      throw new WaybillException(
          "cannot look up the state topic '" + topic + "': " + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /** Writes one entry and waits for Kafka's acknowledgement. */
  public void put(String key, ObjectNode value) {
    if (producer == null) {
      producer = clients.producer("waybill-dlq-state-writer");
    }
    try {
      producer
          .send(
              new ProducerRecord<>(
                  topic, key.getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(value)))
          .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new WaybillException("cannot encode state entry " + key, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new WaybillException(
          "cannot write state entry "
              + key
              + " to topic '"
              + topic
              + "' ("
              + (e.getCause() == null ? e : e.getCause()).getMessage()
              + "): check that the tool may write it",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaybillException("interrupted while writing state", e);
    }
  }

  /** Writes an audit entry; {@code entry} gets {@code id}, {@code at} and {@code by}. */
  public void audit(ObjectNode entry) {
    Instant now = Instant.now();
    String id = UUID.randomUUID().toString();
    entry.put("id", id);
    entry.put("at", now.toString());
    entry.put("by", KafkaClients.who());
    put("audit/" + now + "/" + id, entry);
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(10));
    }
  }

  private static ObjectNode parse(String key, byte[] value) {
    try {
      JsonNode n = JSON.readTree(value);
      return n instanceof ObjectNode o ? o : object();
    } catch (IOException e) {
      throw new WaybillException("state entry " + key + " is not JSON: " + e.getMessage(), e);
    }
  }

  /** Everything in the state topic. */
  public static final class State {
    private final Map<String, ObjectNode> jobs = new HashMap<>();
    private final Map<String, Map<Integer, Map<Long, String>>> resolved = new HashMap<>();
    private final List<ObjectNode> audit = new ArrayList<>();

    void add(String key, ObjectNode v) {
      if (key.startsWith("job/")) {
        jobs.put(key.substring(4), v);
      } else if (key.startsWith("resolved/")) {
        addResolved(
            v.path("topic").asText(), v.path("action").asText(), v.path("offsets").asText());
      } else if (key.startsWith("audit/")) {
        audit.add(v);
      }
    }

    /** Records offsets as resolved in memory. */
    public void addResolved(String topic, String action, String offsets) {
      Map<Integer, Map<Long, String>> byPartition =
          resolved.computeIfAbsent(topic, t -> new HashMap<>());
      Ranges.forEach(
          offsets, (p, o) -> byPartition.computeIfAbsent(p, x -> new HashMap<>()).put(o, action));
    }

    /** A job's state. */
    public Optional<ObjectNode> job(String id) {
      return Optional.ofNullable(jobs.get(id));
    }

    /** How a dead letter was resolved ({@code redriven}, {@code discarded}), if it was. */
    public Optional<String> resolution(String topic, int partition, long offset) {
      Map<Integer, Map<Long, String>> byPartition = resolved.get(topic);
      if (byPartition == null) {
        return Optional.empty();
      }
      Map<Long, String> m = byPartition.get(partition);
      return m == null ? Optional.empty() : Optional.ofNullable(m.get(offset));
    }

    /** The audit entries, oldest first. */
    public List<ObjectNode> audit() {
      List<ObjectNode> out = new ArrayList<>(audit);
      out.sort(
          java.util.Comparator.comparing(
              (ObjectNode a) -> Instant.parse(a.path("at").asText("1970-01-01T00:00:00Z"))));
      return out;
    }
  }
}
