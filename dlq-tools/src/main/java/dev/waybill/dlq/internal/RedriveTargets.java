package dev.waybill.dlq.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which topics a redrive may write to. A dead letter names its own target ({@code
 * kafka_dlt-original-topic}, {@code __connect.errors.topic}), and whoever can write the dead-letter
 * topic can write that header, so the target is checked like any input:
 *
 * <ul>
 *   <li>never the tool's state topic, the dead-letter topic being redriven, a Kafka internal topic
 *       ({@code __...}) or a name Kafka would refuse;
 *   <li>with an allow-list ({@code --allow-topic}): only the topics in it;
 *   <li>without one: no dead-letter topic (a name ending in {@code .DLT} or {@code -dlt}, any
 *       case), so one dead-letter topic is never emptied into another.
 * </ul>
 *
 * Thread-safe. Not API.
 */
public final class RedriveTargets {
  private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9._-]{1,249}");
  private static final List<String> DEAD_LETTER_SUFFIXES = List.of(".dlt", "-dlt");

  private final String deadLetterTopic;
  private final String stateTopic;
  private final Set<String> allowed;

  /**
   * @param deadLetterTopic the topic being redriven
   * @param stateTopic the tool's state topic
   * @param allowed the only topics allowed ({@code --allow-topic}); empty for no allow-list
   */
  public RedriveTargets(String deadLetterTopic, String stateTopic, Set<String> allowed) {
    this.deadLetterTopic = deadLetterTopic;
    this.stateTopic = stateTopic;
    this.allowed = Set.copyOf(allowed);
  }

  /**
   * Why no redrive may ever write to {@code topic} whatever the allow-list says: a name Kafka would
   * refuse, or a Kafka internal topic; empty for a name a redrive may use.
   */
  public static Optional<String> illegalName(String topic) {
    if (!LEGAL.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      return Optional.of(
          "is not a legal Kafka topic name (1 to 249 letters, digits, '.', '_' or '-')");
    }
    if (topic.startsWith("__")) {
      return Optional.of("is a Kafka internal topic (its name starts with '__')");
    }
    return Optional.empty();
  }

  /** Why a redrive must not write to {@code topic}; empty when it may. */
  public Optional<String> refusal(String topic) {
    if (topic.equals(deadLetterTopic)) {
      return Optional.of(
          "is the dead-letter topic itself: redriving a topic into itself would loop; give the"
              + " original topic or another one");
    }
    if (topic.equals(stateTopic)) {
      return Optional.of("is the tool's state topic (--state-topic): dead letters never go there");
    }
    Optional<String> illegal = illegalName(topic);
    if (illegal.isPresent()) {
      return illegal;
    }
    if (!allowed.isEmpty()) {
      return allowed.contains(topic)
          ? Optional.empty()
          : Optional.of(
              "is not in --allow-topic " + String.join(",", allowed.stream().sorted().toList()));
    }
    String lower = topic.toLowerCase(Locale.ROOT);
    if (DEAD_LETTER_SUFFIXES.stream().anyMatch(lower::endsWith)) {
      return Optional.of(
          "is a dead-letter topic (its name ends in .DLT or -dlt): name it with --allow-topic to"
              + " redrive into it");
    }
    return Optional.empty();
  }
}
