package dev.waybill.inbox;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.ConfigProblem;
import dev.waybill.outbox.config.RetrySettings;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Settings of one {@link InboxConsumer}. Immutable; build with {@link #builder()} or read from
 * {@link Settings} with {@link #read(Settings)}. Every invalid value is reported at once in a
 * {@link ConfigException}; {@link #toString()} shows every setting.
 *
 * @param groupId the Kafka consumer group, also the inbox's consumer name ({@code inbox.group.id})
 * @param topics the topics consumed ({@code inbox.topics})
 * @param tables table names; the inbox table is {@link TableNames#inbox()} ({@code inbox.table},
 *     {@code inbox.schema})
 * @param batchEnabled whether the records of one poll share one transaction ({@code
 *     inbox.batch.enabled})
 * @param concurrency worker threads; records of one key always go to the same one ({@code
 *     inbox.concurrency})
 * @param maxInFlight most records polled but not yet done before polling pauses ({@code
 *     inbox.max.in.flight})
 * @param maxAttempts handler attempts before dead-lettering ({@code inbox.retry.max.attempts})
 * @param retryInitialInterval wait after the first failure ({@code inbox.retry.backoff.initial})
 * @param retryMultiplier growth of the wait per attempt ({@code inbox.retry.backoff.multiplier})
 * @param retryMaxInterval longest wait ({@code inbox.retry.backoff.max})
 * @param retryJitter randomization factor of each wait, 0 to 0.99 ({@code
 *     inbox.retry.backoff.jitter})
 * @param deadLetterTopic dead-letter topic, {@code {topic}} stands for the source topic ({@code
 *     inbox.dead.letter.topic})
 * @param ordered ordered mode: a dead-lettered record parks its key ({@code inbox.ordered})
 * @param missingIdPolicy what to do with a record without id ({@code inbox.missing.id})
 * @param unknownTypePolicy what to do with a record of an unknown type ({@code inbox.unknown.type})
 * @param dedupWindow how long ids are kept ({@code inbox.dedup.window})
 * @param housekeepingInterval how often expired ids are deleted ({@code
 *     inbox.housekeeping.interval})
 * @param housekeepingBatchSize most rows one delete statement removes ({@code
 *     inbox.housekeeping.batch.size})
 * @param pollTimeout longest wait of one Kafka poll ({@code inbox.poll.timeout})
 * @param shutdownTimeout longest wait for in-flight records on close or revoke ({@code
 *     inbox.shutdown.timeout})
 */
public record InboxConfig(
    String groupId,
    List<String> topics,
    TableNames tables,
    boolean batchEnabled,
    int concurrency,
    int maxInFlight,
    int maxAttempts,
    Duration retryInitialInterval,
    double retryMultiplier,
    Duration retryMaxInterval,
    double retryJitter,
    String deadLetterTopic,
    boolean ordered,
    MissingIdPolicy missingIdPolicy,
    UnknownTypePolicy unknownTypePolicy,
    Duration dedupWindow,
    Duration housekeepingInterval,
    int housekeepingBatchSize,
    Duration pollTimeout,
    Duration shutdownTimeout) {

  /** Longest consumer group and message id the inbox table stores. */
  public static final int MAX_ID_LENGTH = 255;

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  /** {@code inbox.group.id}. */
  public static final Setting<String> GROUP_ID =
      Setting.string(
          "inbox.group.id",
          null,
          "Kafka consumer group; also the consumer name under which the inbox records ids.");

  /** {@code inbox.topics}. */
  public static final Setting<List<String>> TOPICS =
      Setting.list(
          "inbox.topics",
          null,
          t -> validTopic(t) ? null : "is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)",
          "Topics to consume, comma separated.");

  /** {@code inbox.table}. */
  public static final Setting<SqlIdentifier> TABLE =
      Setting.identifier(
          "inbox.table",
          TableNames.DEFAULT_INBOX,
          "Inbox table name (letters, digits, underscores; at most 48 characters).");

  /** {@code inbox.schema}. */
  public static final Setting<String> SCHEMA =
      Setting.optionalString(
          "inbox.schema", "Schema (PostgreSQL, H2) or database (MySQL) of the inbox tables.");

  /** {@code inbox.batch.enabled}. */
  public static final Setting<Boolean> BATCH_ENABLED =
      Setting.bool(
          "inbox.batch.enabled",
          true,
          "Handle the records of one poll in one transaction (replayed record by record when a"
              + " handler fails).");

  /** {@code inbox.concurrency}. */
  public static final Setting<Integer> CONCURRENCY =
      Setting.integer(
          "inbox.concurrency",
          1,
          1,
          256,
          "Worker threads; records of one key always go to the same worker, in order.");

  /** {@code inbox.max.in.flight}. */
  public static final Setting<Integer> MAX_IN_FLIGHT =
      Setting.integer(
          "inbox.max.in.flight",
          2_000,
          1,
          1_000_000,
          "Most records polled but not yet done; above it the consumer pauses fetching.");

  /**
   * The {@code inbox.retry.*} settings: the same template, types and ranges as the relay's {@code
   * relay.retry.*}. The keys of earlier versions ({@code inbox.retry.initial.interval}, {@code
   * inbox.retry.max.interval}, {@code inbox.retry.multiplier}, {@code inbox.retry.jitter}) are
   * still read, with a WARN.
   */
  public static final RetrySettings RETRY =
      RetrySettings.of(
              "inbox",
              5,
              "500ms",
              "30s",
              2.0,
              0.5,
              "Handler attempts per record before it is dead-lettered (1 = no retry).")
          .withDeprecatedAliases(
              "inbox.retry.initial.interval",
              "inbox.retry.max.interval",
              "inbox.retry.multiplier",
              "inbox.retry.jitter");

  /** {@code inbox.retry.max.attempts}. */
  public static final Setting<Integer> MAX_ATTEMPTS = RETRY.maxAttempts();

  /** {@code inbox.retry.backoff.initial} (formerly {@code inbox.retry.initial.interval}). */
  public static final Setting<Duration> RETRY_INITIAL_INTERVAL = RETRY.backoffInitial();

  /** {@code inbox.retry.backoff.multiplier} (formerly {@code inbox.retry.multiplier}). */
  public static final Setting<Double> RETRY_MULTIPLIER = RETRY.multiplier();

  /** {@code inbox.retry.backoff.max} (formerly {@code inbox.retry.max.interval}). */
  public static final Setting<Duration> RETRY_MAX_INTERVAL = RETRY.backoffMax();

  /** {@code inbox.retry.backoff.jitter} (formerly {@code inbox.retry.jitter}). */
  public static final Setting<Double> RETRY_JITTER = RETRY.jitter();

  /** {@code inbox.dead.letter.topic}. */
  public static final Setting<String> DEAD_LETTER_TOPIC =
      Setting.string(
          "inbox.dead.letter.topic",
          "{topic}.DLT",
          "Dead-letter topic; {topic} stands for the record's topic.");

  /** {@code inbox.ordered}. */
  public static final Setting<Boolean> ORDERED =
      Setting.bool(
          "inbox.ordered",
          false,
          "Ordered mode: after a record is dead-lettered, later records of its key are"
              + " dead-lettered too until it is redriven and handled.");

  /** {@code inbox.missing.id}. */
  public static final Setting<MissingIdPolicy> MISSING_ID =
      Setting.ofEnum(
          "inbox.missing.id",
          MissingIdPolicy.class,
          MissingIdPolicy.DEAD_LETTER,
          MissingIdPolicy::settingValue,
          "Record without message id: dead-letter, or derive (id from topic/partition/offset,"
              + " with a warning).");

  /** {@code inbox.unknown.type}. */
  public static final Setting<UnknownTypePolicy> UNKNOWN_TYPE =
      Setting.ofEnum(
          "inbox.unknown.type",
          UnknownTypePolicy.class,
          UnknownTypePolicy.DEAD_LETTER,
          UnknownTypePolicy::settingValue,
          "Record whose event type has no handler (and no default handler): dead-letter, or skip"
              + " (acknowledged and counted).");

  /** {@code inbox.dedup.window}. */
  public static final Setting<Duration> DEDUP_WINDOW =
      Setting.duration(
          "inbox.dedup.window",
          "168h",
          Duration.ofMinutes(1),
          Duration.ofDays(3650),
          "How long handled ids are kept; a duplicate arriving later is handled again.");

  /** {@code inbox.housekeeping.interval}. */
  public static final Setting<Duration> HOUSEKEEPING_INTERVAL =
      Setting.duration(
          "inbox.housekeeping.interval",
          "5m",
          Duration.ofSeconds(1),
          Duration.ofDays(1),
          "How often ids older than the dedup window are deleted.");

  /** {@code inbox.housekeeping.batch.size}. */
  public static final Setting<Integer> HOUSEKEEPING_BATCH_SIZE =
      Setting.integer(
          "inbox.housekeeping.batch.size",
          1_000,
          1,
          100_000,
          "Most rows one housekeeping DELETE removes (short statements, no long locks).");

  /** {@code inbox.poll.timeout}. */
  public static final Setting<Duration> POLL_TIMEOUT =
      Setting.duration(
          "inbox.poll.timeout",
          "500ms",
          Duration.ofMillis(10),
          Duration.ofMinutes(1),
          "Longest wait of one Kafka poll.");

  /** {@code inbox.shutdown.timeout}. */
  public static final Setting<Duration> SHUTDOWN_TIMEOUT =
      Setting.duration(
          "inbox.shutdown.timeout",
          "30s",
          Duration.ofMillis(100),
          Duration.ofHours(1),
          "Longest wait for records in flight on close or partition revoke.");

  /** Every {@code inbox.*} setting, in documentation order. */
  public static final List<Setting<?>> SETTINGS =
      List.of(
          GROUP_ID,
          TOPICS,
          TABLE,
          SCHEMA,
          BATCH_ENABLED,
          CONCURRENCY,
          MAX_IN_FLIGHT,
          MAX_ATTEMPTS,
          RETRY_INITIAL_INTERVAL,
          RETRY_MAX_INTERVAL,
          RETRY_MULTIPLIER,
          RETRY_JITTER,
          DEAD_LETTER_TOPIC,
          ORDERED,
          MISSING_ID,
          UNKNOWN_TYPE,
          DEDUP_WINDOW,
          HOUSEKEEPING_INTERVAL,
          HOUSEKEEPING_BATCH_SIZE,
          POLL_TIMEOUT,
          SHUTDOWN_TIMEOUT);

  /** Default {@code inbox.batch.enabled}. */
  public static final boolean DEFAULT_BATCH_ENABLED = BATCH_ENABLED.defaultValue();

  /** Default {@code inbox.concurrency}. */
  public static final int DEFAULT_CONCURRENCY = CONCURRENCY.defaultValue();

  /** Default {@code inbox.max.in.flight}. */
  public static final int DEFAULT_MAX_IN_FLIGHT = MAX_IN_FLIGHT.defaultValue();

  /** Default {@code inbox.retry.max.attempts}. */
  public static final int DEFAULT_MAX_ATTEMPTS = MAX_ATTEMPTS.defaultValue();

  /** Default {@code inbox.retry.backoff.initial}. */
  public static final Duration DEFAULT_RETRY_INITIAL_INTERVAL =
      RETRY_INITIAL_INTERVAL.defaultValue();

  /** Default {@code inbox.retry.backoff.multiplier}. */
  public static final double DEFAULT_RETRY_MULTIPLIER = RETRY_MULTIPLIER.defaultValue();

  /** Default {@code inbox.retry.backoff.max}. */
  public static final Duration DEFAULT_RETRY_MAX_INTERVAL = RETRY_MAX_INTERVAL.defaultValue();

  /** Default {@code inbox.retry.backoff.jitter}. */
  public static final double DEFAULT_RETRY_JITTER = RETRY_JITTER.defaultValue();

  /** Default {@code inbox.dead.letter.topic}: the source topic plus {@code .DLT}. */
  public static final String DEFAULT_DEAD_LETTER_TOPIC = DEAD_LETTER_TOPIC.defaultValue();

  /** Default {@code inbox.dedup.window}: 7 days. */
  public static final Duration DEFAULT_DEDUP_WINDOW = DEDUP_WINDOW.defaultValue();

  /** Default {@code inbox.housekeeping.interval}. */
  public static final Duration DEFAULT_HOUSEKEEPING_INTERVAL = HOUSEKEEPING_INTERVAL.defaultValue();

  /** Default {@code inbox.housekeeping.batch.size}. */
  public static final int DEFAULT_HOUSEKEEPING_BATCH_SIZE = HOUSEKEEPING_BATCH_SIZE.defaultValue();

  /** Default {@code inbox.poll.timeout}. */
  public static final Duration DEFAULT_POLL_TIMEOUT = POLL_TIMEOUT.defaultValue();

  /** Default {@code inbox.shutdown.timeout}. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = SHUTDOWN_TIMEOUT.defaultValue();

  /**
   * Checks every value.
   *
   * @param groupId the consumer group; required
   * @param topics the consumed topics, at least one; copied
   * @param tables the inbox table names
   * @param batchEnabled whether a poll's records share a transaction
   * @param concurrency worker threads, 1 to 256
   * @param maxInFlight records polled but unfinished before polling pauses; at least 1
   * @param maxAttempts handler attempts, at least 1
   * @param retryInitialInterval the first wait; positive
   * @param retryMultiplier the growth factor of the wait, 1.0 to 10.0
   * @param retryMaxInterval the longest wait; not below the first
   * @param retryJitter the randomization factor, from 0 to 0.99
   * @param deadLetterTopic the dead-letter topic pattern
   * @param ordered whether a dead-lettered record parks its key
   * @param missingIdPolicy what happens to a record without id
   * @param unknownTypePolicy what happens to a record no handler takes
   * @param dedupWindow how long handled ids are remembered
   * @param housekeepingInterval the period of the expired-id cleanup
   * @param housekeepingBatchSize rows per cleanup statement
   * @param pollTimeout the longest wait of one poll
   * @param shutdownTimeout the longest wait for in-flight records on close or partition revocation
   * @throws ConfigException listing every problem as "value → key → reason"
   */
  public InboxConfig {
    topics = topics == null ? null : List.copyOf(topics);
    List<String> problems = new ArrayList<>();
    if (groupId == null || groupId.isBlank()) {
      problems.add("(missing) → inbox.group.id → required: the Kafka consumer group");
    } else if (groupId.length() > MAX_ID_LENGTH) {
      problems.add(
          "'"
              + groupId
              + "' → inbox.group.id → at most "
              + MAX_ID_LENGTH
              + " characters (the inbox table's consumer_group column)");
    } else if (groupId.chars().anyMatch(Character::isISOControl)) {
      problems.add(
          "(not shown: holds control characters) → inbox.group.id → printable text only (it is"
              + " recorded with every message id)");
    }
    List<ConfigProblem> refused = new ArrayList<>();
    TOPICS.problemWith(topics).ifPresent(refused::add);
    if (tables == null) {
      refused.add(new ConfigProblem(TABLE.key(), null, "table names are required"));
    }
    CONCURRENCY.problemWith(concurrency).ifPresent(refused::add);
    MAX_IN_FLIGHT.problemWith(maxInFlight).ifPresent(refused::add);
    if (retryInitialInterval == null || retryMaxInterval == null) {
      RETRY_INITIAL_INTERVAL.problemWith(retryInitialInterval).ifPresent(refused::add);
      RETRY_MAX_INTERVAL.problemWith(retryMaxInterval).ifPresent(refused::add);
    } else {
      refused.addAll(
          RETRY.problems(
              maxAttempts, retryInitialInterval, retryMaxInterval, retryMultiplier, retryJitter));
    }
    MISSING_ID.problemWith(missingIdPolicy).ifPresent(refused::add);
    UNKNOWN_TYPE.problemWith(unknownTypePolicy).ifPresent(refused::add);
    DEDUP_WINDOW.problemWith(dedupWindow).ifPresent(refused::add);
    HOUSEKEEPING_INTERVAL.problemWith(housekeepingInterval).ifPresent(refused::add);
    HOUSEKEEPING_BATCH_SIZE.problemWith(housekeepingBatchSize).ifPresent(refused::add);
    POLL_TIMEOUT.problemWith(pollTimeout).ifPresent(refused::add);
    SHUTDOWN_TIMEOUT.problemWith(shutdownTimeout).ifPresent(refused::add);
    refused.forEach(p -> problems.add(p.text()));
    if (deadLetterTopic == null || deadLetterTopic.isBlank()) {
      problems.add("(missing) → inbox.dead.letter.topic → e.g. {topic}.DLT");
    } else if (topics != null) {
      for (String t : topics) {
        String dlt = deadLetterTopic.replace("{topic}", t);
        if (!validTopic(dlt)) {
          problems.add(
              "'"
                  + deadLetterTopic
                  + "' → inbox.dead.letter.topic → gives '"
                  + dlt
                  + "' for topic "
                  + t
                  + ", not a Kafka topic name");
        } else if (topics.contains(dlt)) {
          problems.add(
              "'"
                  + deadLetterTopic
                  + "' → inbox.dead.letter.topic → gives '"
                  + dlt
                  + "', a consumed topic: dead letters would be consumed again");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  /**
   * A builder with every default; group id and topics must be set.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the {@code inbox.*} settings. An {@code inbox.*} key that is not declared is a problem
   * naming the closest declared key, and so is a misspelt {@code WAYBILL_INBOX_*} environment
   * variable ({@link Settings#unknownVariables}); other families are left to their readers.
   *
   * @param settings the raw settings of the process
   * @return the validated configuration
   * @throws ConfigException listing every unknown, missing or invalid setting
   */
  public static InboxConfig read(Settings settings) {
    Settings.Reader r = settings.reader(List.of("inbox."), SETTINGS);
    String group = r.get(GROUP_ID);
    List<String> topics = r.get(TOPICS);
    SqlIdentifier table = r.get(TABLE);
    String schema = r.get(SCHEMA);
    Boolean batch = r.get(BATCH_ENABLED);
    Integer concurrency = r.get(CONCURRENCY);
    Integer inFlight = r.get(MAX_IN_FLIGHT);
    Integer attempts = r.get(MAX_ATTEMPTS);
    Duration initial = r.get(RETRY_INITIAL_INTERVAL);
    Double multiplier = r.get(RETRY_MULTIPLIER);
    Duration max = r.get(RETRY_MAX_INTERVAL);
    Double jitter = r.get(RETRY_JITTER);
    String dlt = r.get(DEAD_LETTER_TOPIC);
    Boolean ordered = r.get(ORDERED);
    MissingIdPolicy missing = r.get(MISSING_ID);
    UnknownTypePolicy unknown = r.get(UNKNOWN_TYPE);
    Duration window = r.get(DEDUP_WINDOW);
    Duration hkInterval = r.get(HOUSEKEEPING_INTERVAL);
    Integer hkBatch = r.get(HOUSEKEEPING_BATCH_SIZE);
    Duration poll = r.get(POLL_TIMEOUT);
    Duration shutdown = r.get(SHUTDOWN_TIMEOUT);
    if (attempts != null
        && initial != null
        && max != null
        && multiplier != null
        && jitter != null) {
      RETRY.problems(attempts, initial, max, multiplier, jitter).forEach(r::problem);
    }
    r.finish();
    TableNames names = TableNames.defaults().withInbox(table.name());
    Optional<String> s = table.schema().or(() -> Optional.of(schema).filter(x -> !x.isBlank()));
    if (s.isPresent()) {
      names = names.withSchema(s.get());
    }
    return new InboxConfig(
        group,
        topics,
        names,
        batch,
        concurrency,
        inFlight,
        attempts,
        initial,
        multiplier,
        max,
        jitter,
        dlt.trim(),
        ordered,
        missing,
        unknown,
        window,
        hkInterval,
        hkBatch,
        poll,
        shutdown);
  }

  /**
   * The dead-letter topic for records of {@code topic}.
   *
   * @param topic a consumed topic
   * @return the dead-letter pattern with {@code {topic}} replaced by {@code topic}
   */
  public String deadLetterTopicFor(String topic) {
    return deadLetterTopic.replace("{topic}", topic);
  }

  private static boolean validTopic(String t) {
    return t != null && TOPIC.matcher(t).matches() && !t.equals(".") && !t.equals("..");
  }

  /** Builds an {@link InboxConfig}. Not thread-safe. */
  public static final class Builder {
    private String groupId;
    private List<String> topics = List.of();
    private TableNames tables = TableNames.defaults();
    private boolean batchEnabled = DEFAULT_BATCH_ENABLED;
    private int concurrency = DEFAULT_CONCURRENCY;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration retryInitialInterval = DEFAULT_RETRY_INITIAL_INTERVAL;
    private double retryMultiplier = DEFAULT_RETRY_MULTIPLIER;
    private Duration retryMaxInterval = DEFAULT_RETRY_MAX_INTERVAL;
    private double retryJitter = DEFAULT_RETRY_JITTER;
    private String deadLetterTopic = DEFAULT_DEAD_LETTER_TOPIC;
    private boolean ordered;
    private MissingIdPolicy missingIdPolicy = MissingIdPolicy.DEAD_LETTER;
    private UnknownTypePolicy unknownTypePolicy = UnknownTypePolicy.DEAD_LETTER;
    private Duration dedupWindow = DEFAULT_DEDUP_WINDOW;
    private Duration housekeepingInterval = DEFAULT_HOUSEKEEPING_INTERVAL;
    private int housekeepingBatchSize = DEFAULT_HOUSEKEEPING_BATCH_SIZE;
    private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;

    private Builder() {}

    /**
     * The consumer group (required).
     *
     * @param groupId the Kafka consumer group
     * @return this builder
     */
    public Builder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /**
     * The topics (at least one).
     *
     * @param topics the topic names
     * @return this builder
     */
    public Builder topics(String... topics) {
      this.topics = Arrays.asList(topics);
      return this;
    }

    /**
     * The topics (at least one).
     *
     * @param topics the topic names; copied
     * @return this builder
     */
    public Builder topics(List<String> topics) {
      this.topics = Objects.requireNonNull(topics, "topics");
      return this;
    }

    /**
     * All table names (the inbox table is {@link TableNames#inbox()}).
     *
     * @param tables the table names
     * @return this builder
     */
    public Builder tables(TableNames tables) {
      this.tables = tables;
      return this;
    }

    /**
     * Whether one poll's records share a transaction.
     *
     * @param batchEnabled false to give every record its own transaction
     * @return this builder
     */
    public Builder batchEnabled(boolean batchEnabled) {
      this.batchEnabled = batchEnabled;
      return this;
    }

    /**
     * Worker threads (records of one key stay on one worker).
     *
     * @param concurrency the number of worker threads
     * @return this builder
     */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /**
     * Most records in flight before fetching pauses.
     *
     * @param maxInFlight the most unfinished records
     * @return this builder
     */
    public Builder maxInFlight(int maxInFlight) {
      this.maxInFlight = maxInFlight;
      return this;
    }

    /**
     * Handler attempts before dead-lettering.
     *
     * @param maxAttempts attempts, the first included
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /**
     * Exponential backoff: first wait, growth factor, longest wait, jitter (0 to 0.99).
     *
     * @param initial the wait after the first failure
     * @param multiplier how much each wait grows, 1.0 to 10.0
     * @param max the longest wait
     * @param jitter the randomization factor
     * @return this builder
     */
    public Builder backoff(Duration initial, double multiplier, Duration max, double jitter) {
      this.retryInitialInterval = initial;
      this.retryMultiplier = multiplier;
      this.retryMaxInterval = max;
      this.retryJitter = jitter;
      return this;
    }

    /**
     * The dead-letter topic; {@code {topic}} stands for the source topic.
     *
     * @param deadLetterTopic a topic name, or a pattern containing {@code {topic}}
     * @return this builder
     */
    public Builder deadLetterTopic(String deadLetterTopic) {
      this.deadLetterTopic = deadLetterTopic;
      return this;
    }

    /**
     * Ordered mode: a dead-lettered record parks its key.
     *
     * @param ordered true to park the key of a dead-lettered record
     * @return this builder
     */
    public Builder ordered(boolean ordered) {
      this.ordered = ordered;
      return this;
    }

    /**
     * Policy for records without id.
     *
     * @param missingIdPolicy dead-letter or derive an id
     * @return this builder
     */
    public Builder missingIdPolicy(MissingIdPolicy missingIdPolicy) {
      this.missingIdPolicy = missingIdPolicy;
      return this;
    }

    /**
     * Policy for records of an unknown type.
     *
     * @param unknownTypePolicy dead-letter or skip
     * @return this builder
     */
    public Builder unknownTypePolicy(UnknownTypePolicy unknownTypePolicy) {
      this.unknownTypePolicy = unknownTypePolicy;
      return this;
    }

    /**
     * How long ids are kept.
     *
     * @param dedupWindow the retention of handled ids; a redelivery older than this is handled
     *     again
     * @return this builder
     */
    public Builder dedupWindow(Duration dedupWindow) {
      this.dedupWindow = dedupWindow;
      return this;
    }

    /**
     * Housekeeping period and rows per delete statement.
     *
     * @param interval the cleanup period
     * @param batchSize rows per delete statement
     * @return this builder
     */
    public Builder housekeeping(Duration interval, int batchSize) {
      this.housekeepingInterval = interval;
      this.housekeepingBatchSize = batchSize;
      return this;
    }

    /**
     * Longest wait of one poll.
     *
     * @param pollTimeout the longest wait of one poll
     * @return this builder
     */
    public Builder pollTimeout(Duration pollTimeout) {
      this.pollTimeout = pollTimeout;
      return this;
    }

    /**
     * Longest wait for in-flight records on close or revoke.
     *
     * @param shutdownTimeout the longest wait for in-flight records
     * @return this builder
     */
    public Builder shutdownTimeout(Duration shutdownTimeout) {
      this.shutdownTimeout = shutdownTimeout;
      return this;
    }

    /**
     * @return the validated, immutable configuration
     * @throws ConfigException listing every problem
     */
    public InboxConfig build() {
      return new InboxConfig(
          groupId,
          topics,
          tables,
          batchEnabled,
          concurrency,
          maxInFlight,
          maxAttempts,
          retryInitialInterval,
          retryMultiplier,
          retryMaxInterval,
          retryJitter,
          deadLetterTopic,
          ordered,
          missingIdPolicy,
          unknownTypePolicy,
          dedupWindow,
          housekeepingInterval,
          housekeepingBatchSize,
          pollTimeout,
          shutdownTimeout);
    }
  }
}
