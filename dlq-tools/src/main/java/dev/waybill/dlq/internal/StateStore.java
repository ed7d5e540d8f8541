package dev.waybill.dlq.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.internal.SafeText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
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
  private static final long REACH_SECONDS = 15;

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

  /**
   * Reads the whole state topic; empty state when the topic does not exist yet. A record that is
   * not what the tool writes (not JSON, a missing or malformed field, an offset range out of
   * bounds) is left out and listed in {@link State#problems()} with its offset.
   */
  public State load() {
    State state = new State(topic);
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
      Map<String, ConsumerRecord<byte[], byte[]>> latest = new LinkedHashMap<>();
      while (tps.stream().anyMatch(tp -> c.position(tp, TIMEOUT) < ends.get(tp))) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : rs) {
          if (r.key() == null) {
            state.problem(r.offset(), "(no key)", "has no key");
            continue;
          }
          String key = new String(r.key(), StandardCharsets.UTF_8);
          if (r.value() == null) {
            latest.remove(key);
          } else {
            latest.put(key, r);
          }
        }
      }
      latest.forEach((k, r) -> state.add(k, r.offset(), r.value()));
    }
    return state;
  }

  /**
   * Creates the state topic (compacted, one partition) unless it exists. An existing topic is
   * looked up first, so that a principal without CREATE works with a topic created beforehand.
   * Called before the tool changes anything, so it also checks that Kafka answers: within {@value
   * #REACH_SECONDS} s, or the command fails with nothing changed.
   */
  public void ensureTopic() {
    Admin admin = clients.admin();
    try {
      createUnlessExists(admin);
    } finally {
      // a call that timed out must not hold the command while the client winds it down
      admin.close(Duration.ofSeconds(1));
    }
  }

  private void createUnlessExists(Admin admin) {
    try {
      if (exists(admin)) {
        return;
      }
      NewTopic t =
          new NewTopic(topic, Optional.of(1), Optional.empty())
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      admin
          .createTopics(
              List.of(t), new CreateTopicsOptions().timeoutMs((int) (REACH_SECONDS * 1000)))
          .all()
          .get(REACH_SECONDS + 5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(e.getCause());
      }
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
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WaybillException("interrupted while creating the state topic", e);
    }
  }

  private WaybillException unreachable(Throwable cause) {
    return new WaybillException(
        "Kafka did not answer within "
            + REACH_SECONDS
            + " s ("
            + clients.bootstrapServers()
            + ") when reaching the state topic '"
            + topic
            + "'; nothing was changed: check --bootstrap-server and --command-config, and that"
            + " the brokers are up",
        cause);
  }

  /** Whether the state topic exists; false also when the principal may not describe it. */
  private boolean exists(Admin admin) throws InterruptedException, TimeoutException {
    try {
      // the call's own deadline, so that closing the admin client does not wait out the default
      admin
          .describeTopics(
              List.of(topic), new DescribeTopicsOptions().timeoutMs((int) (REACH_SECONDS * 1000)))
          .allTopicNames()
          .get(REACH_SECONDS + 5, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException
          || e.getCause() instanceof TopicAuthorizationException) {
        return false;
      }
      if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
        throw unreachable(e.getCause());
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

  /** Everything in the state topic. */
  public static final class State {
    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");
    private static final Set<String> ACTIONS = Set.of("redriven", "discarded");

    private final String topic;
    private final Map<String, ObjectNode> jobs = new HashMap<>();
    private final ResolvedOffsets resolved = new ResolvedOffsets();
    private final List<ObjectNode> audit = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private int reported;

    State(String topic) {
      this.topic = topic;
    }

    void add(String key, long offset, byte[] value) {
      ObjectNode v;
      try {
        JsonNode n = JSON.readTree(value);
        if (!(n instanceof ObjectNode o)) {
          problem(offset, key, "is not a JSON object");
          return;
        }
        v = o;
      } catch (IOException e) {
        problem(offset, key, "is not JSON");
        return;
      }
      try {
        if (key.startsWith("job/")) {
          jobs.put(key.substring(4), checkJob(key.substring(4), v));
        } else if (key.startsWith("resolved/")) {
          addResolved(v, offset);
        } else if (key.startsWith("audit/")) {
          Instant.parse(v.path("at").asText());
          audit.add(v);
        } else {
          problem(offset, key, "has a key the tool does not write");
        }
      } catch (DateTimeParseException e) {
        problem(offset, key, "holds '" + e.getParsedString() + "' where a time belongs");
      } catch (IllegalArgumentException e) {
        problem(offset, key, e.getMessage());
      }
    }

    private static ObjectNode checkJob(String id, ObjectNode j) {
      if (!JOB_ID.matcher(id).matches() || !JOB_ID.matcher(j.path("run").asText()).matches()) {
        throw new IllegalArgumentException("job or run id is not of the form the tool writes");
      }
      Instant.parse(j.path("heartbeatAt").asText());
      Instant.parse(j.path("scanFrom").asText());
      if (!j.path("topic").isTextual() || !j.path("filter").isTextual()) {
        throw new IllegalArgumentException("topic or filter is missing");
      }
      for (String field : List.of("positions", "stops")) {
        JsonNode m = j.path(field);
        if (!m.isObject()) {
          throw new IllegalArgumentException(field + " is missing");
        }
        m.fields()
            .forEachRemaining(
                e -> {
                  if (!e.getKey().matches("\\d{1,9}")
                      || !e.getValue().canConvertToLong()
                      || e.getValue().asLong() < 0) {
                    throw new IllegalArgumentException(
                        field + " holds an entry that is not PARTITION: OFFSET (0 or more)");
                  }
                });
      }
      return j;
    }

    private void addResolved(ObjectNode v, long source) {
      String action = v.path("action").asText();
      if (!v.path("topic").isTextual() || !ACTIONS.contains(action)) {
        throw new IllegalArgumentException(
            "expected a topic and an action 'redriven' or 'discarded'");
      }
      List<Ranges.Range> ranges;
      try {
        ranges = Ranges.parse(v.path("offsets").asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("offsets: " + e.getMessage(), e);
      }
      ranges.forEach(r -> resolved.add(v.path("topic").asText(), r, action, source));
    }

    void problem(long offset, String key, String what) {
      problems.add(
          SafeText.escape(
              "state record at offset "
                  + offset
                  + " of "
                  + topic
                  + " (key "
                  + (key.length() > 80 ? key.substring(0, 80) + "..." : key)
                  + ") "
                  + what));
    }

    /**
     * Records offsets as resolved in memory, as written by this run.
     *
     * @throws IllegalArgumentException when {@code offsets} is not of the form of {@link Ranges}
     */
    public void addResolved(String topic, String action, String offsets) {
      Ranges.parse(offsets).forEach(r -> resolved.add(topic, r, action, -1));
    }

    /**
     * Forgets resolved ranges of {@code topic} that reach past its partitions' end offsets (a
     * forged or stale record: no run resolved an offset that was never written), adding a problem
     * for each.
     *
     * @param ends the end offset of each partition read
     */
    public void checkAgainst(String topic, Map<Integer, Long> ends) {
      resolved.dropBeyond(topic, ends, this.topic).forEach(d -> problems.add(SafeText.escape(d)));
    }

    /** A job's state. */
    public Optional<ObjectNode> job(String id) {
      return Optional.ofNullable(jobs.get(id));
    }

    /** How a dead letter was resolved ({@code redriven}, {@code discarded}), if it was. */
    public Optional<String> resolution(String topic, int partition, long offset) {
      return resolved.resolution(topic, partition, offset);
    }

    /** The audit entries, oldest first. */
    public List<ObjectNode> audit() {
      List<ObjectNode> out = new ArrayList<>(audit);
      out.sort(
          java.util.Comparator.comparing((ObjectNode a) -> Instant.parse(a.path("at").asText())));
      return out;
    }

    /**
     * State records left out because they are not what the tool writes, one line each naming the
     * record's offset and what is wrong (escaped for a terminal).
     */
    public List<String> problems() {
      return List.copyOf(problems);
    }

    /** Prints each problem not printed yet as a warning line. */
    public void reportProblems(PrintWriter err) {
      for (; reported < problems.size(); reported++) {
        err.println("dlq: ignored " + problems.get(reported));
      }
      err.flush();
    }
  }
}
