package dev.waybill.dlq;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.dlq.internal.DlqReader;
import dev.waybill.dlq.internal.Filter;
import dev.waybill.dlq.internal.KafkaClients;
import dev.waybill.dlq.internal.OutboxDeadLetterStore;
import dev.waybill.dlq.internal.Progress;
import dev.waybill.dlq.internal.Ranges;
import dev.waybill.dlq.internal.RedriveTargets;
import dev.waybill.dlq.internal.Redriver;
import dev.waybill.dlq.internal.StateStore;
import dev.waybill.dlq.internal.Table;
import dev.waybill.dlq.internal.TerminalJson;
import dev.waybill.dlq.internal.UsageException;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.config.SettingsSources;
import dev.waybill.outbox.internal.KafkaAuthentication;
import dev.waybill.outbox.internal.SafeText;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.TableNames;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The DLQ tool: {@code java -jar dlq.jar list|groups|show|redrive|discard|audit|outbox ...}. Exit
 * codes: 0 success, 1 failure, 2 invalid usage or settings.
 */
@Command(
    name = "dlq",
    mixinStandardHelpOptions = true,
    version = "Waybill DLQ tool 0.1.0",
    description = {
      "Inspect, group, redrive and discard dead-lettered messages.",
      "Reads Kafka dead-letter topics written by Waybill's inbox consumer, Spring Kafka or",
      "Kafka Connect, the broker's dead-letter queues of share groups, and the outbox relay's",
      "dead-letter table. See docs/dlq.md."
    },
    subcommands = {
      DlqMain.ListCommand.class,
      DlqMain.GroupsCommand.class,
      DlqMain.ShowCommand.class,
      DlqMain.RedriveCommand.class,
      DlqMain.DiscardCommand.class,
      DlqMain.AuditCommand.class,
      DlqMain.OutboxCommand.class,
      CommandLine.HelpCommand.class,
      AutoComplete.GenerateCompletion.class
    })
public final class DlqMain implements Callable<Integer> {
  static final ObjectMapper JSON = TerminalJson.mapper(false);
  static final ObjectMapper PRETTY = TerminalJson.mapper(true);

  @Spec CommandLine.Model.CommandSpec spec;

  /**
   * Entry point; exits with the command's code.
   *
   * @param args the command line, e.g. {@code groups orders.DLT --bootstrap-server kafka:9092}
   */
  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "waybill-dlq-logback.xml");
    }
    System.exit(execute(args));
  }

  /**
   * Runs a command line and returns the exit code.
   *
   * @param args the command line
   * @return 0 on success, 1 on failure, 2 for invalid usage or settings
   */
  public static int execute(String... args) {
    return execute(null, null, args);
  }

  /**
   * Runs a command line with the given output and error writers (null: standard streams).
   *
   * @param out where command output goes, or null for standard output
   * @param err where errors and usage go, or null for standard error
   * @param args the command line
   * @return 0 on success, 1 on failure, 2 for invalid usage or settings
   */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new DlqMain());
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          cmd.getOut().flush();
          // a client exception can quote what a record or a broker said: escape it for the terminal
          String text = SafeText.escape(String.valueOf(ex.getMessage()));
          if (ex instanceof ConfigException || ex instanceof UsageException) {
            cmd.getErr().println("dlq: " + text);
            cmd.getErr().flush();
            return 2;
          }
          cmd.getErr().println("dlq: " + SafeText.escape(failure(ex, parsed)));
          cmd.getErr().flush();
          return 1;
        });
    return cl.execute(args);
  }

  /**
   * What failed, for the error stream: a refused Kafka login names the user, the mechanism and the
   * file to fix; a refused operation the ACLs to grant.
   */
  private static String failure(Exception ex, CommandLine.ParseResult parsed) {
    Optional<Throwable> refused = KafkaAuthentication.failure(ex);
    if (refused.isPresent()) {
      return KafkaAuthentication.describe(kafkaSettings(parsed), "", refused.get())
          + " (client settings: the --command-config file)";
    }
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof AuthorizationException) {
        return ex.getMessage()
            + (t == ex ? "" : " (" + t.getMessage() + ")")
            + ": Kafka refused the operation; grant the tool's principal the ACLs listed in"
            + " docs/security.md (READ on the dead-letter topic, WRITE on the target topic, READ"
            + " and WRITE on the state topic)";
      }
    }
    return ex.getMessage();
  }

  /** The Kafka client settings of the command that failed, or none when they cannot be read. */
  private static Map<String, String> kafkaSettings(CommandLine.ParseResult parsed) {
    CommandLine.ParseResult p = parsed;
    while (p.subcommand() != null) {
      p = p.subcommand();
    }
    try {
      return KafkaClients.of(
              p.matchedOptionValue("--bootstrap-server", null),
              p.matchedOptionValue("--command-config", null))
          .settings();
    } catch (RuntimeException e) {
      return Map.of();
    }
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** Output formats of every listing. */
  enum Format {
    table,
    json
  }

  /** Kafka connection options, as in Kafka's own tools. */
  static class KafkaOptions {
    @Option(
        names = "--bootstrap-server",
        paramLabel = "HOST:PORT",
        description = "Kafka brokers, host:port[,host:port].")
    String bootstrap;

    @Option(
        names = "--command-config",
        paramLabel = "FILE",
        description = "Properties file of Kafka client settings (TLS, SASL), as in Kafka's tools.")
    Path commandConfig;

    @Option(
        names = "--state-topic",
        paramLabel = "TOPIC",
        defaultValue = StateStore.DEFAULT_TOPIC,
        description =
            "Compacted topic holding redrive progress, resolved records and the audit trail"
                + " (default: ${DEFAULT-VALUE}; created on first write).")
    String stateTopic;

    KafkaClients clients() {
      return KafkaClients.of(bootstrap, commandConfig);
    }
  }

  /** Filters shared by list, groups, redrive and discard. */
  static class FilterOptions {
    @Option(
        names = "--group",
        paramLabel = "ID",
        description = "Only this failure group: its 8-digit id from 'groups', or the fingerprint.")
    String group;

    @Option(
        names = "--exception",
        paramLabel = "TEXT",
        description = "Only failures whose exception class or message contains TEXT.")
    String exception;

    @Option(names = "--key", paramLabel = "KEY", description = "Only records with this key.")
    String key;

    @Option(
        names = "--header",
        paramLabel = "NAME=VALUE",
        description = "Only records with this header value; repeatable (all must match).")
    List<String> headers = new ArrayList<>();

    @Option(
        names = "--since",
        paramLabel = "TIME",
        description = "Only dead-lettered at or after TIME: 2024-05-01T10:00:00Z, 2024-05-01, 2h.")
    String since;

    @Option(
        names = "--until",
        paramLabel = "TIME",
        description = "Only dead-lettered before TIME (same forms as --since).")
    String until;

    @Option(
        names = "--partition",
        paramLabel = "N",
        description = "Only this partition of the dead-letter topic.")
    Integer partition;

    @Option(
        names = "--from-offset",
        paramLabel = "OFFSET",
        description = "Lowest offset (inclusive), in every partition read.")
    Long fromOffset;

    @Option(
        names = "--to-offset",
        paramLabel = "OFFSET",
        description = "Highest offset (inclusive), in every partition read.")
    Long toOffset;

    @Option(names = "--limit", paramLabel = "N", description = "At most N records.")
    Integer limit;

    @Option(
        names = "--all",
        description = "Include records already redriven or discarded (hidden otherwise).")
    boolean all;

    Filter filter() {
      Instant now = Instant.now();
      if (limit != null && limit < 1) {
        throw new UsageException("'" + limit + "' → --limit → expected a number of at least 1");
      }
      List<Map.Entry<String, String>> hs = new ArrayList<>();
      headers.forEach(h -> hs.add(Filter.parseHeader(h)));
      return new Filter(
          group,
          exception,
          key,
          hs,
          Filter.parseTime("--since", since, now),
          Filter.parseTime("--until", until, now),
          partition,
          fromOffset,
          toOffset,
          limit);
    }
  }

  /** What a listing found. */
  @FunctionalInterface
  interface Sink {
    void accept(DeadLetter d, ConsumerRecord<byte[], byte[]> record, String resolution);
  }

  /**
   * Reads the matching dead letters of a topic; state records that do not fit go to {@code err}.
   */
  static void scan(
      KafkaClients clients,
      String topic,
      Filter f,
      boolean all,
      StateStore.State state,
      PrintWriter err,
      Progress progress,
      Sink sink) {
    try (DlqReader reader = new DlqReader(clients, topic)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (TopicPartition tp : reader.partitions()) {
        if (f.selects(tp.partition())) {
          tps.add(tp);
        }
      }
      Map<Integer, Long> from = new HashMap<>();
      Map<Integer, Long> to = new HashMap<>();
      reader.beginnings(tps).forEach((p, o) -> from.put(p, f.start(o)));
      Map<Integer, Long> ends = reader.ends(tps);
      ends.forEach((p, o) -> to.put(p, f.stop(o)));
      state.checkAgainst(topic, ends);
      state.reportProblems(err);
      long total = 0;
      for (Map.Entry<Integer, Long> e : from.entrySet()) {
        total += Math.max(0, to.getOrDefault(e.getKey(), 0L) - e.getValue());
      }
      Progress bar = progress.sized(total);
      int[] n = {0};
      long[] read = {0};
      reader.read(
          from,
          to,
          r -> {
            bar.update(++read[0], n[0]);
            Optional<String> res = state.resolution(topic, r.partition(), r.offset());
            if (!all && res.isPresent()) {
              return true;
            }
            DeadLetter d = DeadLetters.decode(r);
            if (!f.matches(d)) {
              return true;
            }
            if (f.limit() != null && n[0] >= f.limit()) {
              return false;
            }
            n[0]++;
            sink.accept(d, r, res.orElse(null));
            return true;
          });
      bar.finish(read[0], n[0]);
    }
  }

  static String age(Instant t) {
    long s = Math.max(0, Duration.between(t, Instant.now()).toSeconds());
    if (s < 120) {
      return s + "s";
    }
    if (s < 7200) {
      return s / 60 + "m";
    }
    if (s < 172800) {
      return s / 3600 + "h";
    }
    return s / 86400 + "d";
  }

  static String simpleClass(String cls) {
    int dot = cls.lastIndexOf('.');
    return dot < 0 ? cls : cls.substring(dot + 1);
  }

  static String origin(DeadLetter d) {
    return d.originalTopic().orElse("?")
        + "/"
        + d.originalPartition().map(String::valueOf).orElse("?")
        + "/"
        + d.originalOffset().map(String::valueOf).orElse("?");
  }

  static ObjectNode json(DeadLetter d, String resolution) {
    ObjectNode n = JSON.createObjectNode();
    n.put("topic", d.topic());
    n.put("partition", d.partition());
    n.put("offset", d.offset());
    n.put("timestamp", d.timestamp().toString());
    n.put("format", d.format().name().toLowerCase(java.util.Locale.ROOT));
    n.put("key", d.key().orElse(null));
    n.put("messageId", d.messageId().orElse(null));
    n.put("originalTopic", d.originalTopic().orElse(null));
    if (d.originalPartition().isPresent()) {
      n.put("originalPartition", d.originalPartition().get());
    } else {
      n.putNull("originalPartition");
    }
    if (d.originalOffset().isPresent()) {
      n.put("originalOffset", d.originalOffset().get());
    } else {
      n.putNull("originalOffset");
    }
    n.put("exceptionClass", d.exceptionClass());
    n.put("exceptionMessage", d.exceptionMessage());
    n.put("cause", d.cause().orElse(null));
    n.put("fingerprint", d.fingerprint());
    n.put("group", d.groupId());
    n.put("consumer", d.consumer().orElse(null));
    n.put("redriveCount", d.redriveCount());
    n.put("status", resolution == null ? "open" : resolution);
    return n;
  }

  static void printJson(PrintWriter out, JsonNode node) {
    try {
      out.println(PRETTY.writeValueAsString(node));
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- list

  /** {@code list TOPIC}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "One line per dead letter: position, key, id, origin, exception, age.",
        "Position is partition:offset; origin is the original topic/partition/offset. Records",
        "already redriven or discarded are hidden unless --all."
      })
  static final class ListCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "The dead-letter topic.")
    String topic;

    @Mixin KafkaOptions kafka = new KafkaOptions();
    @Mixin ProgressOptions progress = new ProgressOptions();
    @Mixin FilterOptions filters = new FilterOptions();

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      Filter f = filters.filter();
      KafkaClients clients = kafka.clients();
      StateStore.State state;
      try (StateStore store = new StateStore(clients, kafka.stateTopic)) {
        state = store.load();
      }
      Table t =
          filters.all
              ? new Table(
                  "POS", "KEY", "MESSAGE ID", "ORIGIN", "EXCEPTION", "MESSAGE", "AGE", "STATUS")
              : new Table("POS", "KEY", "MESSAGE ID", "ORIGIN", "EXCEPTION", "MESSAGE", "AGE");
      ArrayNode arr = JSON.createArrayNode();
      scan(
          clients,
          topic,
          f,
          filters.all,
          state,
          spec.commandLine().getErr(),
          progress.bar(spec.commandLine().getErr(), "list"),
          (d, r, res) -> {
            if (format == Format.json) {
              arr.add(json(d, res));
            } else if (filters.all) {
              t.row(
                  d.position(),
                  d.key().orElse(null),
                  d.messageId().orElse(null),
                  origin(d),
                  simpleClass(d.cause().orElse(d.exceptionClass())),
                  d.exceptionMessage(),
                  age(d.timestamp()),
                  res == null ? "open" : res);
            } else {
              t.row(
                  d.position(),
                  d.key().orElse(null),
                  d.messageId().orElse(null),
                  origin(d),
                  simpleClass(d.cause().orElse(d.exceptionClass())),
                  d.exceptionMessage(),
                  age(d.timestamp()));
            }
          });
      if (format == Format.json) {
        printJson(out, arr);
      } else {
        t.print(out);
      }
      return 0;
    }
  }

  // ---------------------------------------------------------------- groups

  /** {@code groups TOPIC}. */
  @Command(
      name = "groups",
      mixinStandardHelpOptions = true,
      description = {
        "Failures grouped by fingerprint, largest group first.",
        "Fingerprint: exception class + top application frame. Shows count, first and last",
        "seen, and an example. Use a group's id with --group in list, redrive and discard."
      })
  static final class GroupsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "The dead-letter topic.")
    String topic;

    @Mixin KafkaOptions kafka = new KafkaOptions();
    @Mixin ProgressOptions progress = new ProgressOptions();
    @Mixin FilterOptions filters = new FilterOptions();

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    static final class Group {
      final String fingerprint;
      long count;
      Instant first;
      Instant last;
      DeadLetter example;

      Group(String fingerprint) {
        this.fingerprint = fingerprint;
      }
    }

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      KafkaClients clients = kafka.clients();
      StateStore.State state;
      try (StateStore store = new StateStore(clients, kafka.stateTopic)) {
        state = store.load();
      }
      Map<String, Group> groups = new LinkedHashMap<>();
      scan(
          clients,
          topic,
          filters.filter(),
          filters.all,
          state,
          spec.commandLine().getErr(),
          progress.bar(spec.commandLine().getErr(), "groups"),
          (d, r, res) -> {
            Group g = groups.computeIfAbsent(d.fingerprint(), Group::new);
            g.count++;
            if (g.first == null || d.timestamp().isBefore(g.first)) {
              g.first = d.timestamp();
            }
            if (g.last == null || d.timestamp().isAfter(g.last)) {
              g.last = d.timestamp();
            }
            if (g.example == null) {
              g.example = d;
            }
          });
      List<Group> sorted = new ArrayList<>(groups.values());
      sorted.sort((a, b) -> Long.compare(b.count, a.count));
      if (format == Format.json) {
        ArrayNode arr = JSON.createArrayNode();
        for (Group g : sorted) {
          ObjectNode n = arr.addObject();
          n.put("group", DeadLetters.groupId(g.fingerprint));
          n.put("fingerprint", g.fingerprint);
          n.put("count", g.count);
          n.put("firstSeen", g.first.toString());
          n.put("lastSeen", g.last.toString());
          n.set("example", json(g.example, null));
        }
        printJson(out, arr);
      } else {
        Table t = new Table("GROUP", "COUNT", "FIRST SEEN", "LAST SEEN", "FINGERPRINT", "EXAMPLE");
        for (Group g : sorted) {
          t.row(
              DeadLetters.groupId(g.fingerprint),
              g.count,
              g.first,
              g.last,
              g.fingerprint,
              g.example.position() + " " + g.example.exceptionMessage());
        }
        t.print(out);
      }
      return 0;
    }
  }

  // ---------------------------------------------------------------- show

  /** {@code show TOPIC OFFSET}. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {
        "One dead letter in full: headers decoded, payload pretty-printed.",
        "The payload is pretty-printed when it is JSON, a hex dump otherwise. Select the dead",
        "letter by position or by message id."
      })
  static final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "The dead-letter topic.")
    String topic;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "[PARTITION:]OFFSET",
        description = "Position; the partition may be left out when the topic has one.")
    String position;

    @Option(names = "--id", paramLabel = "MESSAGE_ID", description = "Find it by message id.")
    String id;

    @Mixin KafkaOptions kafka = new KafkaOptions();
    @Mixin ProgressOptions progress = new ProgressOptions();

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      if ((position == null) == (id == null)) {
        throw new UsageException(
            "(missing) → [PARTITION:]OFFSET or --id → give exactly one, e.g. show orders.DLT 0:42");
      }
      KafkaClients clients = kafka.clients();
      List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
      Filter f = Filter.none();
      if (position != null) {
        Matcher m = Pattern.compile("(?:(\\d+):)?(\\d+)").matcher(position.trim());
        if (!m.matches()) {
          throw new UsageException(
              "'" + position + "' → OFFSET → expected OFFSET or PARTITION:OFFSET, e.g. 0:42");
        }
        long offset = Long.parseLong(m.group(2));
        Integer partition = m.group(1) == null ? null : Integer.valueOf(m.group(1));
        if (partition == null) {
          try (DlqReader r = new DlqReader(clients, topic)) {
            List<TopicPartition> tps = r.partitions();
            if (tps.size() > 1) {
              throw new UsageException(
                  "'"
                      + position
                      + "' → OFFSET → "
                      + topic
                      + " has "
                      + tps.size()
                      + " partitions: write PARTITION:OFFSET, e.g. 0:"
                      + offset);
            }
          }
          partition = 0;
        }
        f = new Filter(null, null, null, List.of(), null, null, partition, offset, offset, 1);
      }
      String wanted = id;
      scan(
          clients,
          topic,
          f,
          true,
          new StateStore(clients, kafka.stateTopic).load(),
          spec.commandLine().getErr(),
          progress.bar(spec.commandLine().getErr(), "show"),
          (d, r, res) -> {
            if (wanted == null || d.messageId().map(wanted::equals).orElse(false)) {
              found.add(r);
            }
          });
      if (found.isEmpty()) {
        throw new UsageException(
            "'"
                + (id != null ? id : position)
                + "' → "
                + (id != null ? "--id" : "OFFSET")
                + " → no such dead letter in "
                + topic
                + ": check with 'list "
                + topic
                + " --all'");
      }
      PrintWriter out = spec.commandLine().getOut();
      ConsumerRecord<byte[], byte[]> r = found.get(0);
      DeadLetter d = DeadLetters.decode(r);
      Optional<JsonNode> payload = jsonPayload(r.value());
      if (format == Format.json) {
        ObjectNode n = json(d, null);
        d.stackTrace().ifPresent(s -> n.put("stackTrace", s));
        ArrayNode hs = n.putArray("headers");
        for (DeadLetter.DecodedHeader h : d.headers()) {
          hs.addObject().put("name", h.name()).put("value", h.value());
        }
        if (payload.isPresent()) {
          n.set("payload", payload.get());
        } else {
          n.put("payloadHex", r.value() == null ? null : HexFormat.of().formatHex(r.value()));
        }
        printJson(out, n);
        return 0;
      }
      // everything but the hex dump comes from the record: escaped, so it cannot drive the terminal
      PrintWriter text =
          new PrintWriter(out) {
            @Override
            public void println(String line) {
              super.println(SafeText.escapeKeepingLines(line));
            }
          };
      text.println("dead letter   " + topic + " " + d.position() + " (" + d.format() + ")");
      text.println("timestamp     " + d.timestamp() + " (" + age(d.timestamp()) + " ago)");
      text.println("key           " + SafeText.escape(d.key().orElse("(none)")));
      text.println("message id    " + SafeText.escape(d.messageId().orElse("(none)")));
      text.println("origin        " + SafeText.escape(origin(d)));
      text.println("consumer      " + SafeText.escape(d.consumer().orElse("(unknown)")));
      text.println("exception     " + SafeText.escape(d.exceptionClass()));
      d.cause()
          .ifPresent(c -> text.println("cause         " + SafeText.escape(c) + " (grouped by it)"));
      text.println("message       " + SafeText.escape(d.exceptionMessage()));
      text.println(
          "fingerprint   " + SafeText.escape(d.fingerprint()) + " (group " + d.groupId() + ")");
      text.println("redrives      " + d.redriveCount());
      text.println("");
      text.println("headers:");
      for (DeadLetter.DecodedHeader h : d.headers()) {
        String v = h.value();
        if (v.contains("\n")) {
          text.println("  " + SafeText.escape(h.name()) + ":");
          for (String line : v.split("\n")) {
            text.println("      " + line);
          }
        } else {
          text.println("  " + SafeText.escape(h.name()) + ": " + SafeText.escape(v));
        }
      }
      out.println();
      if (r.value() == null && d.format() == DeadLetterFormat.SHARE_GROUP) {
        out.println(
            "payload: (not copied by the broker; redrive fetches the original from "
                + SafeText.escape(origin(d))
                + " while that topic retains it)");
      } else if (r.value() == null) {
        out.println("payload: (null, a tombstone)");
      } else if (payload.isPresent()) {
        out.println("payload (JSON, " + r.value().length + " bytes):");
        try {
          out.println(PRETTY.writeValueAsString(payload.get()));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      } else {
        out.println("payload (" + r.value().length + " bytes, hex):");
        out.print(hexDump(r.value()));
      }
      out.flush();
      return 0;
    }

    static Optional<JsonNode> jsonPayload(byte[] value) {
      if (value == null || value.length == 0) {
        return Optional.empty();
      }
      byte first = value[0];
      if (first != '{' && first != '[' && first != '"' && first != ' ' && first != '\n') {
        return Optional.empty();
      }
      try {
        return Optional.of(JSON.readTree(value));
      } catch (IOException e) {
        return Optional.empty();
      }
    }

    static String hexDump(byte[] b) {
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < b.length; i += 16) {
        s.append(String.format("%08x  ", i));
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < 16; j++) {
          if (i + j < b.length) {
            int v = b[i + j] & 0xff;
            s.append(String.format("%02x ", v));
            text.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
          } else {
            s.append("   ");
          }
        }
        s.append(" |").append(text).append("|\n");
      }
      return s.toString();
    }
  }

  // ---------------------------------------------------------------- redrive

  /** {@code redrive TOPIC}. */
  @Command(
      name = "redrive",
      mixinStandardHelpOptions = true,
      description = {
        "Republishes dead letters to their original topic, or to --to.",
        "Keeps key, value, message id and the application's headers and adds",
        "waybill_redrive-count. Resumable: running the same command again after an",
        "interruption continues where it stopped and never sends a record twice for the same",
        "job. Refuses the dead-letter topic itself, the state topic and other dead-letter",
        "topics as targets (--allow-topic: only the topics named). Audited."
      })
  static final class RedriveCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "TOPIC", description = "The dead-letter topic.")
    String topic;

    @Mixin KafkaOptions kafka = new KafkaOptions();
    @Mixin FilterOptions filters = new FilterOptions();

    @Option(
        names = "--to",
        paramLabel = "TOPIC",
        description = "Send every record here instead of to its original topic.")
    String to;

    @Option(
        names = "--allow-topic",
        paramLabel = "TOPIC",
        split = ",",
        description =
            "Send only to these topics (repeatable or comma-separated); a record whose target is"
                + " not one of them is refused and stays in the dead-letter topic.")
    List<String> allowTopics = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print what would be sent; change nothing.")
    boolean dryRun;

    @Option(
        names = "--rate",
        paramLabel = "N",
        description = "At most N messages per second (default: as fast as Kafka takes them).")
    Double rate;

    @Option(
        names = "--job",
        paramLabel = "ID",
        description =
            "Job id (letters, digits, . _ -); default: derived from topic, target and filter, so"
                + " the same command resumes the same job.")
    String job;

    @Option(
        names = "--takeover-after",
        paramLabel = "DURATION",
        defaultValue = "10s",
        description =
            "Resume an unfinished job only once its last heartbeat is this old, so a run that is"
                + " still alive elsewhere is never joined (default: ${DEFAULT-VALUE}).")
    String takeoverAfter;

    @Mixin ProgressOptions progress = new ProgressOptions();

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "Summary as table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
      if (rate != null && !(rate > 0)) {
        throw new UsageException(
            "'" + rate + "' → --rate → expected messages per second above 0, e.g. --rate 500");
      }
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      KafkaClients clients = kafka.clients();
      ObjectNode summary;
      try (StateStore store = new StateStore(clients, kafka.stateTopic)) {
        summary =
            new Redriver(
                    clients,
                    store,
                    new Redriver.Options(
                        topic,
                        to,
                        filters.filter(),
                        filters.all,
                        dryRun,
                        rate == null ? 0 : rate,
                        job,
                        parseDuration("--takeover-after", takeoverAfter),
                        progress.wanted(),
                        checkedTopics(allowTopics)),
                    out,
                    err)
                .run();
      }
      if (format == Format.json) {
        printJson(out, summary);
      } else {
        out.println(dryRun ? "dry run: nothing was sent or recorded" : "redrive summary");
        summary
            .fields()
            .forEachRemaining(
                e ->
                    out.printf(
                        "  %-24s %s%n",
                        e.getKey(),
                        SafeText.escape(
                            e.getValue().isTextual()
                                ? e.getValue().asText()
                                : e.getValue().toString())));
        out.flush();
      }
      return summary.path("failed").asLong() > 0 ? 1 : 0;
    }
  }

  /** The --allow-topic list, each a legal topic name. */
  private static Set<String> checkedTopics(List<String> topics) {
    Set<String> out = new TreeSet<>();
    for (String t : topics) {
      Optional<String> no = RedriveTargets.illegalName(t);
      if (no.isPresent()) {
        throw new UsageException("'" + SafeText.escape(t) + "' → --allow-topic → " + no.get());
      }
      out.add(t);
    }
    return out;
  }

  static Duration parseDuration(String option, String text) {
    Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(text.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        default -> Duration.ofHours(n);
      };
    }
    throw new UsageException(
        "'" + text + "' → " + option + " → expected a duration such as 500ms, 10s, 2m");
  }

  // ---------------------------------------------------------------- discard

  /** {@code discard TOPIC}. */
  @Command(
      name = "discard",
      mixinStandardHelpOptions = true,
      description = {
        "Marks dead letters resolved without republishing them.",
        "Kafka cannot delete single records: list and groups hide discarded ones unless --all.",
        "Audited."
      })
  static final class DiscardCommand implements Callable<Integer> {
    private static final int CHUNK = 20_000;

    @Parameters(index = "0", paramLabel = "TOPIC", description = "The dead-letter topic.")
    String topic;

    @Mixin KafkaOptions kafka = new KafkaOptions();
    @Mixin ProgressOptions progress = new ProgressOptions();
    @Mixin FilterOptions filters = new FilterOptions();

    @Option(names = "--dry-run", description = "Print what would be discarded; change nothing.")
    boolean dryRun;

    @Option(
        names = "--reason",
        paramLabel = "TEXT",
        description = "Why, recorded in the audit trail.")
    String reason;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      KafkaClients clients = kafka.clients();
      Filter f = filters.filter();
      try (StateStore store = new StateStore(clients, kafka.stateTopic)) {
        StateStore.State state = store.load();
        Map<Integer, List<Long>> offsets = new HashMap<>();
        long[] n = {0};
        scan(
            clients,
            topic,
            f,
            false,
            state,
            spec.commandLine().getErr(),
            progress.bar(spec.commandLine().getErr(), "discard"),
            (d, r, res) -> {
              n[0]++;
              offsets.computeIfAbsent(d.partition(), p -> new ArrayList<>()).add(d.offset());
              if (dryRun) {
                out.println(
                    SafeText.escape(
                        "would discard "
                            + d.position()
                            + "  key="
                            + d.key().orElse("-")
                            + "  "
                            + d.exceptionClass()));
              }
            });
        String ranges = Ranges.format(offsets);
        if (dryRun) {
          out.println("dry run: " + n[0] + " dead letter(s) would be discarded; nothing changed");
          out.flush();
          return 0;
        }
        if (n[0] > 0) {
          store.ensureTopic();
          String run = UUID.randomUUID().toString().substring(0, 8);
          int chunkNo = 0;
          Map<Integer, List<Long>> chunk = new HashMap<>();
          int inChunk = 0;
          for (Map.Entry<Integer, List<Long>> e : offsets.entrySet()) {
            for (long o : e.getValue()) {
              chunk.computeIfAbsent(e.getKey(), p -> new ArrayList<>()).add(o);
              if (++inChunk == CHUNK) {
                writeChunk(store, run, chunkNo++, chunk);
                chunk.clear();
                inChunk = 0;
              }
            }
          }
          if (inChunk > 0) {
            writeChunk(store, run, chunkNo, chunk);
          }
        }
        ObjectNode a = StateStore.object();
        a.put("action", "discard");
        a.put("topic", topic);
        a.put("filter", f.canonical());
        a.put("reason", reason);
        a.put("count", n[0]);
        a.put("offsets", ranges);
        store.ensureTopic();
        store.audit(a);
        out.println(
            "discarded "
                + n[0]
                + " dead letter(s) of "
                + topic
                + (n[0] > 0 ? " (" + ranges + ")" : "")
                + "; 'list --all' still shows them");
        out.flush();
      }
      return 0;
    }

    private void writeChunk(
        StateStore store, String run, int no, Map<Integer, List<Long>> offsets) {
      ObjectNode c = StateStore.object();
      c.put("topic", topic);
      c.put("action", "discarded");
      c.put("at", Instant.now().toString());
      c.put("offsets", Ranges.format(offsets));
      store.put("resolved/discard-" + run + "/" + no, c);
    }
  }

  // ---------------------------------------------------------------- audit

  /** {@code audit}. */
  @Command(
      name = "audit",
      mixinStandardHelpOptions = true,
      description = {
        "The audit trail of redrives and discards.",
        "Kafka and outbox: who, when, what, filter, count and which offsets (or outbox seqs),",
        "oldest first."
      })
  static final class AuditCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka = new KafkaOptions();

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only entries about TOPIC.")
    String topic;

    @Option(names = "--limit", paramLabel = "N", description = "Only the latest N entries.")
    Integer limit;

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      List<ObjectNode> entries;
      try (StateStore store = new StateStore(kafka.clients(), kafka.stateTopic)) {
        StateStore.State state = store.load();
        state.reportProblems(spec.commandLine().getErr());
        entries = new ArrayList<>(state.audit());
      }
      if (topic != null) {
        entries.removeIf(e -> !topic.equals(e.path("topic").asText()));
      }
      if (limit != null && entries.size() > limit) {
        entries = entries.subList(entries.size() - limit, entries.size());
      }
      if (format == Format.json) {
        ArrayNode arr = JSON.createArrayNode();
        entries.forEach(arr::add);
        printJson(out, arr);
        return 0;
      }
      Table t = new Table("AT", "BY", "ACTION", "TOPIC", "TARGET", "FILTER", "COUNT", "OFFSETS");
      for (ObjectNode e : entries) {
        t.row(
            e.path("at").asText(),
            e.path("by").asText(),
            e.path("action").asText(),
            e.path("topic").asText(),
            e.hasNonNull("to") ? e.path("to").asText() : e.path("reason").asText(null),
            e.path("filter").asText(null),
            e.has("count") ? e.path("count").asText() : null,
            e.path("offsets").asText(null));
      }
      t.print(out);
      return 0;
    }
  }

  // ---------------------------------------------------------------- outbox

  /** {@code outbox list|retry|discard}. */
  @Command(
      name = "outbox",
      mixinStandardHelpOptions = true,
      description = {
        "The outbox relay's dead-letter table: list, retry, discard.",
        "Messages the relay could not publish, each parking its key (later messages of the key",
        "wait). Database settings as in the relay:",
        "--config FILE, WAYBILL_DB_URL-style environment variables, --set key=value."
      },
      subcommands = {
        DlqMain.OutboxList.class,
        DlqMain.OutboxRetry.class,
        DlqMain.OutboxDiscard.class,
        CommandLine.HelpCommand.class
      })
  static final class OutboxCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().usage(spec.commandLine().getErr());
      return 2;
    }
  }

  /** Database settings, read like the relay's. */
  static class DatabaseOptions {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "Properties file with db.* and outbox.* settings (docs/configuration.md).")
    Path config;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "One setting; repeatable; wins over the file and the environment.")
    List<String> sets = new ArrayList<>();

    record Resolved(DatabaseSettings db, TableNames tables) {}

    Resolved read() {
      List<Setting<?>> known = new ArrayList<>(DatabaseSettings.SETTINGS);
      known.addAll(OutboxConfig.SETTINGS);
      Settings settings = SettingsSources.load(config, sets, System.getenv(), known, List.of());
      Settings.Reader r = settings.reader(List.of("db.", "outbox."), known);
      DatabaseSettings db = DatabaseSettings.read(r);
      OutboxConfig outbox = OutboxConfig.read(r);
      r.finish();
      return new Resolved(db, outbox.tables());
    }
  }

  /** Selection of outbox dead letters. */
  static class OutboxSelection {
    @Parameters(paramLabel = "SEQ", arity = "0..*", description = "Seqs of the dead letters.")
    List<Long> seqs = new ArrayList<>();

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Every dead letter of TOPIC.")
    String topic;

    @Option(
        names = "--key",
        paramLabel = "KEY",
        description = "With --topic: only this key (releases that parked key).")
    String key;

    List<Long> resolve(OutboxDeadLetterStore store) {
      if (seqs.isEmpty() == (topic == null)) {
        throw new UsageException(
            "(missing) → SEQ or --topic → give the seqs (from 'outbox list') or --topic [--key],"
                + " not both");
      }
      if (key != null && topic == null) {
        throw new UsageException("'" + key + "' → --key → needs --topic");
      }
      if (!seqs.isEmpty()) {
        return seqs;
      }
      List<Long> out = new ArrayList<>();
      store.list(topic, key, Integer.MAX_VALUE - 1).forEach(r -> out.add(r.seq()));
      if (out.isEmpty()) {
        throw new UsageException(
            "'"
                + topic
                + (key == null ? "" : "/" + key)
                + "' → --topic → no dead letters match: check with 'outbox list'");
      }
      return out;
    }
  }

  /** Optional audit of outbox commands in the Kafka state topic. */
  static class OutboxAuditOptions {
    @Option(
        names = "--bootstrap-server",
        paramLabel = "HOST:PORT",
        description = "Kafka brokers: record this action in the audit trail (recommended).")
    String bootstrap;

    @Option(
        names = "--command-config",
        paramLabel = "FILE",
        description = "Properties file of Kafka client settings (TLS, SASL).")
    Path commandConfig;

    @Option(
        names = "--state-topic",
        paramLabel = "TOPIC",
        defaultValue = StateStore.DEFAULT_TOPIC,
        description = "The tool's state topic (default: ${DEFAULT-VALUE}).")
    String stateTopic;

    /**
     * The state topic, reached before anything changes (so an unreachable Kafka fails the command
     * with nothing changed), or empty without {@code --bootstrap-server}.
     */
    Optional<StateStore> open(PrintWriter err) {
      if (bootstrap == null && commandConfig == null) {
        err.println("dlq: not recorded in the audit trail (no --bootstrap-server given)");
        err.flush();
        return Optional.empty();
      }
      StateStore store = new StateStore(KafkaClients.of(bootstrap, commandConfig), stateTopic);
      try {
        store.ensureTopic();
      } catch (RuntimeException e) {
        store.close();
        throw e;
      }
      return Optional.of(store);
    }

    /**
     * Writes the audit entry of the seqs it is given; called inside the database transaction,
     * before it commits. Does nothing without a state topic.
     */
    static Consumer<List<Long>> entry(
        Optional<StateStore> trail, String action, TableNames tables, OutboxSelection selection) {
      return seqs ->
          trail.ifPresent(
              store -> {
                ObjectNode a = StateStore.object();
                a.put("action", action);
                a.put("topic", tables.deadLetterTable().sql());
                a.put(
                    "filter",
                    selection.topic == null
                        ? "seqs"
                        : "topic="
                            + selection.topic
                            + (selection.key == null ? "" : " key=" + selection.key));
                a.put("count", seqs.size());
                a.put("offsets", "seq:" + Ranges.format(seqs));
                store.audit(a);
              });
    }
  }

  /** {@code outbox list}. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "The relay's dead letters by seq.",
        "Topic, key, error, attempts, whether the key is parked and how many messages wait",
        "behind it."
      })
  static final class OutboxList implements Callable<Integer> {
    @Mixin DatabaseOptions database = new DatabaseOptions();

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic.")
    String topic;

    @Option(names = "--key", paramLabel = "KEY", description = "Only this key.")
    String key;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "1000",
        description = "At most N rows (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(
        names = "--format",
        defaultValue = "table",
        description = "table or json (default: ${DEFAULT-VALUE}).")
    Format format;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      DatabaseOptions.Resolved s = database.read();
      PrintWriter out = spec.commandLine().getOut();
      try (HikariDataSource ds = DataSources.open(s.db(), "waybill-dlq")) {
        List<OutboxDeadLetterStore.Row> rows =
            OutboxDeadLetterStore.open(ds, s.db().dialect(), s.tables()).list(topic, key, limit);
        if (format == Format.json) {
          ArrayNode arr = JSON.createArrayNode();
          for (OutboxDeadLetterStore.Row r : rows) {
            ObjectNode n = arr.addObject();
            n.put("seq", r.seq());
            n.put("id", r.id());
            n.put("topic", r.topic());
            n.put("key", r.key());
            n.put("eventType", r.eventType());
            n.put("attempts", r.attempts());
            n.put("errorClass", r.errorClass());
            n.put("errorMessage", r.errorMessage());
            n.put("failedAt", r.failedAt().toString());
            n.put("parksKey", r.parksKey());
            n.put("waiting", r.waiting());
            n.put("relay", r.relay());
          }
          printJson(out, arr);
        } else {
          Table t =
              new Table(
                  "SEQ",
                  "TOPIC",
                  "KEY",
                  "TYPE",
                  "ERROR",
                  "MESSAGE",
                  "ATTEMPTS",
                  "AGE",
                  "PARKS",
                  "WAITING");
          for (OutboxDeadLetterStore.Row r : rows) {
            t.row(
                r.seq(),
                r.topic(),
                r.key(),
                r.eventType(),
                simpleClass(r.errorClass()),
                r.errorMessage(),
                r.attempts(),
                age(r.failedAt()),
                r.parksKey() ? "yes" : "no",
                r.waiting());
          }
          t.print(out);
        }
      }
      return 0;
    }
  }

  /** {@code outbox retry}. */
  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = {
        "Puts dead letters back into the outbox at their original seq.",
        "In one transaction with the removal of their dead-letter rows: the parked key is",
        "released and the relay publishes each before the messages of its key that waited",
        "behind it (order is kept)."
      })
  static final class OutboxRetry implements Callable<Integer> {
    @Mixin DatabaseOptions database = new DatabaseOptions();
    @Mixin OutboxSelection selection = new OutboxSelection();
    @Mixin OutboxAuditOptions audit = new OutboxAuditOptions();

    @Mixin OutboxDryRun.Flag dryRun = new OutboxDryRun.Flag();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      DatabaseOptions.Resolved s = database.read();
      PrintWriter out = spec.commandLine().getOut();
      if (dryRun.on) {
        return OutboxDryRun.retry(s, selection, out);
      }
      Optional<StateStore> trail = audit.open(spec.commandLine().getErr());
      try (HikariDataSource ds = DataSources.open(s.db(), "waybill-dlq")) {
        OutboxDeadLetterStore store = OutboxDeadLetterStore.open(ds, s.db().dialect(), s.tables());
        List<Long> done =
            store.retry(
                selection.resolve(store),
                OutboxAuditOptions.entry(trail, "outbox-retry", s.tables(), selection));
        out.println(
            "retried "
                + done.size()
                + " message(s) "
                + new TreeSet<>(done)
                + " into "
                + s.tables().outboxTable().sql()
                + " at their original seq; the relay publishes them before what waited behind"
                + " them");
        out.flush();
      } finally {
        trail.ifPresent(StateStore::close);
      }
      return 0;
    }
  }

  /** {@code outbox discard}. */
  @Command(
      name = "discard",
      mixinStandardHelpOptions = true,
      description = {
        "Deletes dead letters for good; their parked keys are released.",
        "The messages are never published; later messages of their keys flow."
      })
  static final class OutboxDiscard implements Callable<Integer> {
    @Mixin DatabaseOptions database = new DatabaseOptions();
    @Mixin OutboxSelection selection = new OutboxSelection();
    @Mixin OutboxAuditOptions audit = new OutboxAuditOptions();

    @Mixin OutboxDryRun.Flag dryRun = new OutboxDryRun.Flag();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      DatabaseOptions.Resolved s = database.read();
      PrintWriter out = spec.commandLine().getOut();
      if (dryRun.on) {
        return OutboxDryRun.discard(s, selection, out);
      }
      // Kafka first: unreachable, the command fails before a row is touched
      Optional<StateStore> trail = audit.open(spec.commandLine().getErr());
      try (HikariDataSource ds = DataSources.open(s.db(), "waybill-dlq")) {
        OutboxDeadLetterStore store = OutboxDeadLetterStore.open(ds, s.db().dialect(), s.tables());
        List<Long> done =
            store.discard(
                selection.resolve(store),
                OutboxAuditOptions.entry(trail, "outbox-discard", s.tables(), selection));
        out.println("discarded " + done.size() + " dead letter(s) " + new TreeSet<>(done));
        out.flush();
      } finally {
        trail.ifPresent(StateStore::close);
      }
      return 0;
    }
  }
}
