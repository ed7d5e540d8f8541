package dev.waybill.dlq.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.waybill.dlq.DeadLetter;
import dev.waybill.dlq.DeadLetterFormat;
import dev.waybill.dlq.DeadLetters;
import dev.waybill.outbox.internal.SafeText;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.RedriveHeaders;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Republishes dead letters, resumably and without sending a record twice for the same job.
 *
 * <p>How: a job (id given or derived from topic, target and filter) covers the dead-letter topic up
 * to its end offsets when the job started. The job's progress is checkpointed in the state topic
 * (see {@link StateStore}) every {@value #CHECKPOINT_RECORDS} records or second, after the
 * producer's acknowledgements: positions per partition, counts, and the sent offsets as resolved
 * records. Every record sent carries {@code waybill_redrive-job} (job and run id) and {@code
 * waybill_redrive-source} (where it came from). A run that finds its job unfinished continues from
 * the last checkpoint; before sending to a target topic it reads that topic from shortly before the
 * checkpoint and skips every dead letter already found there with its job header. It waits until
 * the previous run's heartbeat is older than the takeover time, so a live run is never joined. Not
 * API.
 */
public final class Redriver {
  static final int CHECKPOINT_RECORDS = 20_000;
  private static final long CHECKPOINT_NANOS = 1_000_000_000L;
  private static final Duration SCAN_MARGIN = Duration.ofSeconds(60);
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  /**
   * What to redrive.
   *
   * @param topic the dead-letter topic
   * @param to the target topic, or null for each record's original topic
   * @param filter which records
   * @param includeResolved also records already redriven or discarded
   * @param dryRun print what would happen, change nothing
   * @param rate messages per second, 0 for no limit
   * @param jobId the job id, or null to derive it
   * @param takeoverAfter how old the previous run's heartbeat must be before this run continues it
   * @param progress whether to draw a progress bar
   * @param allowTopics the only target topics allowed ({@code --allow-topic}); empty for any topic
   *     that {@link RedriveTargets} does not refuse
   */
  public record Options(
      String topic,
      String to,
      Filter filter,
      boolean includeResolved,
      boolean dryRun,
      double rate,
      String jobId,
      Duration takeoverAfter,
      boolean progress,
      Set<String> allowTopics) {
    /** Copies the allow-list. */
    public Options {
      allowTopics = Set.copyOf(allowTopics);
    }
  }

  private final KafkaClients clients;
  private final StateStore store;
  private final Options o;
  private final PrintWriter out;
  private final PrintWriter err;

  private final Map<Integer, Long> positions = new HashMap<>();
  private final Map<Integer, Long> stops = new HashMap<>();
  private final ConcurrentLinkedQueue<long[]> acked = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
  private final Map<Integer, List<Long>> pendingDone = new HashMap<>();
  private final Map<Integer, Set<Long>> allDone = new HashMap<>();
  private final Map<String, Set<String>> alreadyInTarget = new HashMap<>();
  private final Map<String, Integer> targetPartitions = new HashMap<>();
  private final Map<String, Long> perTarget = new LinkedHashMap<>();
  private final Map<String, String> refusedTargets = new TreeMap<>();
  private final RedriveTargets targets;

  private String jobId;
  private String runId;
  private boolean resumed;
  private Instant scanFrom;
  private int checkpoints;
  private long read;
  private long matched;
  private long sent;
  private long duplicatesSkipped;
  private long resolvedSkipped;
  private long noTarget;
  private long refused;
  private long failed;
  private long sinceCheckpoint;
  private long lastCheckpointNanos;
  private long firstSendNanos;
  private KafkaProducer<byte[], byte[]> producer;
  private OriginalRecords originals;
  private StateStore.State state;

  /**
   * @param clients Kafka
   * @param store the state topic
   * @param options what to do
   * @param out where the dry run and the summary go
   * @param err where the progress bar and warnings go
   */
  public Redriver(
      KafkaClients clients, StateStore store, Options options, PrintWriter out, PrintWriter err) {
    this.clients = clients;
    this.store = store;
    this.o = options;
    this.out = out;
    this.err = err;
    this.targets = new RedriveTargets(options.topic(), store.topic(), options.allowTopics());
  }

  /** The job id derived from what a redrive does, so running the same command again resumes. */
  public static String deriveJobId(String topic, String to, Filter filter) {
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest(
                  (topic + "\n" + to + "\n" + filter.canonical()).getBytes(StandardCharsets.UTF_8));
      return "redrive-" + HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Runs the redrive and returns its summary.
   *
   * @throws UsageException when the request is unsafe (a target {@link RedriveTargets} refuses, a
   *     job id of another redrive, a job running elsewhere)
   */
  public ObjectNode run() throws InterruptedException {
    if (o.to() != null) {
      Optional<String> no = targets.refusal(o.to());
      if (no.isPresent()) {
        throw new UsageException("'" + SafeText.escape(o.to()) + "' → --to → " + no.get());
      }
    }
    jobId = o.jobId() == null ? deriveJobId(o.topic(), o.to(), o.filter()) : o.jobId();
    if (!JOB_ID.matcher(jobId).matches()) {
      throw new UsageException(
          "'" + jobId + "' → --job → expected 1 to 100 letters, digits, '.', '_' or '-'");
    }
    state = store.load();
    state.reportProblems(err);
    Optional<ObjectNode> prev =
        state.job(jobId).filter(j -> "running".equals(j.path("status").asText()));
    try (DlqReader reader = new DlqReader(clients, o.topic())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (TopicPartition tp : reader.partitions()) {
        if (o.filter().selects(tp.partition())) {
          tps.add(tp);
        }
      }
      Map<Integer, Long> ends = reader.ends(tps);
      state.checkAgainst(o.topic(), ends);
      state.reportProblems(err);
      if (prev.isPresent()) {
        ObjectNode p = prev.get();
        checkSameRedrive(p);
        if (!o.dryRun()) {
          p = awaitTakeover(p);
        }
        resumed = true;
        runId = p.path("run").asText();
        scanFrom = Instant.parse(p.path("scanFrom").asText());
        checkpoints = p.path("checkpoints").asInt();
        matched = p.path("matched").asLong();
        sent = p.path("sent").asLong();
        failed = p.path("failed").asLong();
        p.path("positions")
            .fields()
            .forEachRemaining(
                e -> positions.put(Integer.valueOf(e.getKey()), e.getValue().asLong()));
        // a job never reads past the end offsets the topic has now
        p.path("stops")
            .fields()
            .forEachRemaining(
                e -> {
                  int partition = Integer.parseInt(e.getKey());
                  stops.put(
                      partition, Math.min(e.getValue().asLong(), ends.getOrDefault(partition, 0L)));
                });
      } else {
        runId = UUID.randomUUID().toString().substring(0, 8);
        Map<Integer, Long> begins = reader.beginnings(tps);
        for (TopicPartition tp : tps) {
          positions.put(tp.partition(), o.filter().start(begins.get(tp.partition())));
          stops.put(tp.partition(), o.filter().stop(ends.get(tp.partition())));
        }
      }
      long total = 0;
      for (Map.Entry<Integer, Long> e : positions.entrySet()) {
        total += Math.max(0, stops.getOrDefault(e.getKey(), 0L) - e.getValue());
      }
      Progress progress = new Progress(err, o.progress() && !o.dryRun(), "redrive", "sent", total);
      if (!o.dryRun()) {
        store.ensureTopic();
        producer = clients.producer("waybill-dlq-redrive-" + jobId);
        if (!resumed) {
          scanFrom = Instant.now();
          writeJob("running");
          ObjectNode a = auditBase("redrive-started");
          store.audit(a);
        } else {
          err.println(
              "dlq: resuming job " + jobId + " (run " + runId + ") from its last checkpoint");
          err.flush();
        }
      }
      RateLimiter limiter = new RateLimiter(o.rate());
      lastCheckpointNanos = System.nanoTime();
      long startNanos = System.nanoTime();
      reader.read(
          new HashMap<>(positions),
          stops,
          r -> {
            boolean go = handle(r, limiter);
            progress.update(read, sent);
            return go;
          });
      long endNanos = System.nanoTime();
      if (!o.dryRun()) {
        checkpoint();
        endNanos = System.nanoTime();
        progress.finish(read, sent);
        writeJob("done");
        ObjectNode a = auditBase("redrive");
        a.put("count", allDone.values().stream().mapToLong(Set::size).sum());
        a.put("offsets", Ranges.format(allDone));
        a.put("resumed", resumed);
        store.audit(a);
      }
      return summary(startNanos, endNanos);
    } finally {
      if (producer != null) {
        producer.close(Duration.ofSeconds(30));
      }
      if (originals != null) {
        originals.close();
      }
    }
  }

  private boolean handle(ConsumerRecord<byte[], byte[]> r, RateLimiter limiter) {
    read++;
    int p = r.partition();
    positions.put(p, r.offset() + 1);
    try {
      if (!o.includeResolved() && state.resolution(o.topic(), p, r.offset()).isPresent()) {
        resolvedSkipped++;
        return true;
      }
      DeadLetter d = DeadLetters.decode(r);
      if (!o.filter().matches(d)) {
        return true;
      }
      Integer limit = o.filter().limit();
      if (limit != null && matched >= limit) {
        positions.put(p, r.offset());
        return false;
      }
      matched++;
      if (!d.header(DeadLetterHeaders.LEFT_OUT).isEmpty()) {
        // the consumer shrank this dead letter to fit the topic: sending it would publish a record
        // without its value (a tombstone on a compacted topic) under the original id
        refused++;
        refusedTargets.putIfAbsent(
            "(" + DeadLetterHeaders.LEFT_OUT + ")", "the dead letter has no value to send");
        warn(
            d,
            "not redriven: it was dead-lettered without "
                + SafeText.escape(d.header(DeadLetterHeaders.LEFT_OUT).get(0))
                + "; redrive the original record from its topic (kafka_dlt-original-* headers);"
                + " it stays in "
                + o.topic());
        return true;
      }
      String to = o.to() != null ? o.to() : d.originalTopic().orElse(null);
      if (to == null) {
        noTarget++;
        warn(d, "has no original topic header; give --to TOPIC to redrive it");
        return true;
      }
      Optional<String> no = targets.refusal(to);
      if (no.isPresent()) {
        refused++;
        refusedTargets.putIfAbsent(SafeText.escape(to), no.get());
        if (o.dryRun()) {
          out.println(
              "would refuse " + d.position() + " → " + SafeText.escape(to) + ": " + no.get());
        } else {
          warn(
              d,
              "not redriven: its target '"
                  + SafeText.escape(to)
                  + "' "
                  + no.get()
                  + "; it stays in "
                  + o.topic());
        }
        return true;
      }
      ConsumerRecord<byte[], byte[]> content = r;
      if (d.format() == DeadLetterFormat.SHARE_GROUP) {
        // the broker copied no headers (and by default no key or value): send the original
        OriginalRecords.Fetched f = fetchOriginal(d);
        if (f.record().isEmpty()) {
          refused++;
          refusedTargets.putIfAbsent("(original record)", "no longer retained in its topic");
          if (o.dryRun()) {
            out.println("would refuse " + d.position() + ": " + SafeText.escape(f.why()));
          } else {
            warn(d, "not redriven: " + SafeText.escape(f.why()) + "; it stays in " + o.topic());
          }
          return true;
        }
        content = f.record().get();
      }
      if (o.dryRun()) {
        sent++;
        out.println(
            SafeText.escape(
                "would send "
                    + d.position()
                    + " → "
                    + to
                    + "  key="
                    + d.key().orElse("-")
                    + "  id="
                    + d.messageId().orElse("-")
                    + "  "
                    + d.exceptionClass()));
        return true;
      }
      if (resumed && alreadySent(to).contains(o.topic() + "/" + p + "/" + r.offset())) {
        duplicatesSkipped++;
        pendingDone.computeIfAbsent(p, x -> new ArrayList<>()).add(r.offset());
        return true;
      }
      limiter.acquire();
      if (firstSendNanos == 0) {
        firstSendNanos = System.nanoTime();
      }
      ProducerRecord<byte[], byte[]> pr = toRecord(r, content, d, to);
      long offset = r.offset();
      producer.send(
          pr,
          (meta, ex) -> {
            if (ex == null) {
              acked.add(new long[] {p, offset});
            } else {
              failures.add(SafeText.escape(p + ":" + offset + " → " + to + ": " + ex));
            }
          });
      sent++;
      perTarget.merge(to, 1L, Long::sum);
      return true;
    } finally {
      if (!o.dryRun()
          && (++sinceCheckpoint >= CHECKPOINT_RECORDS
              || System.nanoTime() - lastCheckpointNanos >= CHECKPOINT_NANOS)) {
        checkpoint();
      }
    }
  }

  private OriginalRecords.Fetched fetchOriginal(DeadLetter d) {
    if (d.originalTopic().isEmpty()
        || d.originalPartition().isEmpty()
        || d.originalOffset().isEmpty()) {
      return new OriginalRecords.Fetched(
          Optional.empty(), "it does not name its original topic, partition and offset");
    }
    if (originals == null) {
      originals = new OriginalRecords(clients);
    }
    return originals.fetch(
        d.originalTopic().get(), d.originalPartition().get(), d.originalOffset().get());
  }

  /**
   * @param r the dead letter
   * @param content the record whose key, value and headers are sent: the dead letter, or the
   *     original record it stands for
   */
  private ProducerRecord<byte[], byte[]> toRecord(
      ConsumerRecord<byte[], byte[]> r,
      ConsumerRecord<byte[], byte[]> content,
      DeadLetter d,
      String to) {
    RecordHeaders headers = new RecordHeaders();
    for (Header h : content.headers()) {
      if (!DeadLetters.isDeadLetterHeader(h.key())) {
        headers.add(h.key(), h.value());
      }
    }
    headers.add(RedriveHeaders.COUNT, text(Integer.toString(d.redriveCount() + 1)));
    headers.add(RedriveHeaders.JOB, text(jobId + ":" + runId));
    headers.add(RedriveHeaders.SOURCE, text(o.topic() + "/" + r.partition() + "/" + r.offset()));
    Integer partition = null;
    if (o.to() == null && d.originalPartition().isPresent()) {
      int op = d.originalPartition().get();
      if (op >= 0 && op < partitionCount(to)) {
        partition = op;
      }
    }
    return new ProducerRecord<>(to, partition, null, content.key(), content.value(), headers);
  }

  private int partitionCount(String topic) {
    return targetPartitions.computeIfAbsent(
        topic,
        t -> {
          List<PartitionInfo> infos = producer.partitionsFor(t);
          return infos == null ? 0 : infos.size();
        });
  }

  /** Dead letters of this run found in the target topic after the last checkpoint. */
  private Set<String> alreadySent(String topic) {
    return alreadyInTarget.computeIfAbsent(topic, this::scanTarget);
  }

  private Set<String> scanTarget(String topic) {
    Set<String> found = new HashSet<>();
    String mine = jobId + ":" + runId;
    try (KafkaConsumer<byte[], byte[]> c = clients.consumer("waybill-dlq-resume-scan")) {
      List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        return found;
      }
      List<TopicPartition> tps = new ArrayList<>();
      infos.forEach(i -> tps.add(new TopicPartition(topic, i.partition())));
      long from = scanFrom.minus(SCAN_MARGIN).toEpochMilli();
      Map<TopicPartition, Long> query = new HashMap<>();
      tps.forEach(tp -> query.put(tp, from));
      Map<TopicPartition, OffsetAndTimestamp> starts =
          c.offsetsForTimes(query, Duration.ofSeconds(30));
      Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(30));
      c.assign(tps);
      List<TopicPartition> todo = new ArrayList<>();
      for (TopicPartition tp : tps) {
        OffsetAndTimestamp s = starts.get(tp);
        long start = s == null ? ends.get(tp) : s.offset();
        if (start < ends.get(tp)) {
          c.seek(tp, start);
          todo.add(tp);
        }
      }
      c.assign(todo);
      while (todo.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> rec : rs) {
          Header job = rec.headers().lastHeader(RedriveHeaders.JOB);
          Header src = rec.headers().lastHeader(RedriveHeaders.SOURCE);
          if (job != null
              && src != null
              && mine.equals(new String(job.value(), StandardCharsets.UTF_8))) {
            found.add(new String(src.value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
    if (!found.isEmpty()) {
      err.println(
          "dlq: "
              + found.size()
              + " record(s) of job "
              + jobId
              + " were already in "
              + topic
              + " after the last checkpoint; they are not sent again");
      err.flush();
    }
    return found;
  }

  private void checkpoint() {
    sinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    producer.flush();
    long[] a;
    while ((a = acked.poll()) != null) {
      pendingDone.computeIfAbsent((int) a[0], x -> new ArrayList<>()).add(a[1]);
    }
    String f;
    while ((f = failures.poll()) != null) {
      failed++;
      err.println("dlq: send failed, not redriven: " + f);
      err.flush();
    }
    if (!pendingDone.isEmpty()) {
      ObjectNode chunk = StateStore.object();
      chunk.put("topic", o.topic());
      chunk.put("action", "redriven");
      chunk.put("job", jobId);
      chunk.put("at", Instant.now().toString());
      chunk.put("offsets", Ranges.format(pendingDone));
      store.put("resolved/" + runId + "/" + checkpoints, chunk);
      pendingDone.forEach((p, l) -> allDone.computeIfAbsent(p, x -> new TreeSet<>()).addAll(l));
      pendingDone.clear();
    }
    checkpoints++;
    scanFrom = Instant.now();
    writeJob("running");
  }

  private void writeJob(String status) {
    ObjectNode j = StateStore.object();
    j.put("job", jobId);
    j.put("run", runId);
    j.put("status", status);
    j.put("topic", o.topic());
    j.put("to", o.to());
    j.put("filter", o.filter().canonical());
    j.put("owner", KafkaClients.who() + " (" + KafkaClients.process() + ")");
    j.put("heartbeatAt", Instant.now().toString());
    j.put("scanFrom", scanFrom.toString());
    j.put("checkpoints", checkpoints);
    j.put("matched", matched);
    j.put("sent", sent);
    j.put("failed", failed);
    ObjectNode pos = j.putObject("positions");
    positions.forEach((p, v) -> pos.put(p.toString(), v));
    ObjectNode st = j.putObject("stops");
    stops.forEach((p, v) -> st.put(p.toString(), v));
    store.put("job/" + jobId, j);
  }

  private void checkSameRedrive(ObjectNode p) {
    String filter = o.filter().canonical();
    if (!o.topic().equals(p.path("topic").asText())
        || !String.valueOf(o.to()).equals(p.path("to").isNull() ? "null" : p.path("to").asText())
        || !filter.equals(p.path("filter").asText())) {
      throw new UsageException(
          SafeText.escape(
              "'"
                  + jobId
                  + "' → --job → is an unfinished redrive of "
                  + p.path("topic").asText()
                  + " with filter '"
                  + p.path("filter").asText()
                  + "'"
                  + (p.path("to").isNull() ? "" : " to " + p.path("to").asText())
                  + ", not this one: run that command again to finish it, or choose another --job"));
    }
  }

  private ObjectNode awaitTakeover(ObjectNode p) throws InterruptedException {
    String heartbeat = p.path("heartbeatAt").asText();
    Instant last = Instant.parse(heartbeat);
    long waitMillis = Duration.between(Instant.now(), last.plus(o.takeoverAfter())).toMillis();
    if (waitMillis <= 0) {
      return p;
    }
    err.println(
        SafeText.escape(
            "dlq: job "
                + jobId
                + " was active "
                + Duration.between(last, Instant.now()).toMillis()
                + " ms ago ("
                + p.path("owner").asText()
                + "); waiting "
                + waitMillis
                + " ms to make sure it has stopped"));
    err.flush();
    Thread.sleep(waitMillis);
    ObjectNode now = store.load().job(jobId).orElse(p);
    if (!heartbeat.equals(now.path("heartbeatAt").asText())) {
      throw new UsageException(
          SafeText.escape(
              "'"
                  + jobId
                  + "' → job → is running in another process ("
                  + now.path("owner").asText()
                  + ", last heartbeat "
                  + now.path("heartbeatAt").asText()
                  + "): let it finish, or stop it and run this command again"));
    }
    return now;
  }

  private ObjectNode auditBase(String action) {
    ObjectNode a = StateStore.object();
    a.put("action", action);
    a.put("topic", o.topic());
    a.put("to", o.to() == null ? "(original topics)" : o.to());
    a.put("filter", o.filter().canonical());
    a.put("job", jobId);
    a.put("run", runId);
    return a;
  }

  private ObjectNode summary(long startNanos, long endNanos) {
    ObjectNode s = StateStore.object();
    s.put("job", jobId);
    s.put("run", runId);
    s.put("dryRun", o.dryRun());
    s.put("resumed", resumed);
    s.put("topic", o.topic());
    s.put("to", o.to() == null ? "(original topics)" : o.to());
    s.put("filter", o.filter().canonical());
    s.put("read", read);
    s.put("matched", matched);
    s.put(o.dryRun() ? "wouldSend" : "sent", sent);
    s.put("alreadySentBeforeResume", duplicatesSkipped);
    s.put("skippedResolved", resolvedSkipped);
    s.put("noTarget", noTarget);
    s.put("refused", refused);
    ObjectNode why = s.putObject("refusedTargets");
    refusedTargets.forEach(why::put);
    s.put("failed", failed);
    ObjectNode t = s.putObject("targets");
    perTarget.forEach(t::put);
    double seconds = (endNanos - (firstSendNanos == 0 ? startNanos : firstSendNanos)) / 1e9;
    s.put("seconds", Math.round(seconds * 1000) / 1000.0);
    long thisRun = perTarget.values().stream().mapToLong(Long::longValue).sum();
    s.put("sentThisRun", thisRun);
    s.put("ratePerSecond", seconds <= 0 ? 0 : Math.round(thisRun / seconds * 10) / 10.0);
    return s;
  }

  private void warn(DeadLetter d, String what) {
    err.println("dlq: dead letter " + d.position() + " " + what);
    err.flush();
  }

  private static byte[] text(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Reads a job's positions for tests and status. */
  static Map<Integer, Long> positionsOf(JsonNode job) {
    Map<Integer, Long> out = new HashMap<>();
    job.path("positions")
        .fields()
        .forEachRemaining(e -> out.put(Integer.valueOf(e.getKey()), e.getValue().asLong()));
    return out;
  }
}
