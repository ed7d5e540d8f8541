package dev.waybill.spring.internal;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;

/**
 * Reads Waybill's settings from the Spring {@link Environment} under the names of {@link
 * PropertyNames}, so the setting declarations ({@link Setting}: type, default, range) stay the one
 * place where a value is parsed and checked, and turns their errors into errors that name the
 * Spring property. Not API.
 */
public final class SpringSettings {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SpringSettings.class);

  /** Spring Kafka's broker list, the default of {@code waybill.kafka.bootstrap.servers}. */
  public static final String SPRING_KAFKA_BOOTSTRAP = "spring.kafka.bootstrap-servers";

  private static final String KAFKA_BOOTSTRAP = "kafka.bootstrap.servers";

  private SpringSettings() {}

  /**
   * The raw settings given in the environment: one value per declared setting that is set (under
   * its Spring name or its alias), plus every {@code waybill.kafka.*} entry when {@code withKafka};
   * {@code kafka.bootstrap.servers} falls back to {@code spring.kafka.bootstrap-servers}.
   *
   * @param environment the application's environment
   * @param known the settings to look for
   * @param withKafka whether to pass {@code waybill.kafka.*} through
   * @return the raw settings under Waybill's dotted keys
   */
  public static Settings read(
      Environment environment, Collection<Setting<?>> known, boolean withKafka) {
    Binder binder = Binder.get(environment);
    Map<String, String> values = new LinkedHashMap<>();
    for (Setting<?> s : known) {
      if (s.key().startsWith(PropertyNames.KAFKA)) {
        continue;
      }
      Optional<String> v =
          value(binder, PropertyNames.springName(s.key()))
              .or(() -> value(binder, PropertyNames.alias(s.key())));
      for (String old : s.deprecatedAliases()) {
        if (v.isPresent()) {
          break;
        }
        v =
            value(binder, PropertyNames.springName(old))
                .or(() -> value(binder, PropertyNames.alias(old)));
        if (v.isPresent()) {
          LOG.warn(
              "{} is deprecated: use {} (the old name is still read)",
              PropertyNames.springName(old),
              PropertyNames.springName(s.key()));
        }
      }
      v.ifPresent(value -> values.put(s.key(), value));
    }
    if (withKafka) {
      binder
          .bind("waybill.kafka", Bindable.mapOf(String.class, String.class))
          .ifBound(m -> m.forEach((k, v) -> values.put(PropertyNames.KAFKA + k, v)));
      if (!values.containsKey(KAFKA_BOOTSTRAP)) {
        binder
            .bind(SPRING_KAFKA_BOOTSTRAP, Bindable.listOf(String.class))
            .ifBound(list -> values.put(KAFKA_BOOTSTRAP, String.join(",", list)));
      }
    }
    return Settings.of(values);
  }

  private static Optional<String> value(Binder binder, String name) {
    return Optional.ofNullable(binder.bind(name, Bindable.of(String.class)).orElse(null));
  }

  /**
   * Properties of the families the caller owns (e.g. {@code waybill.relay.}) that name no setting:
   * typos, reported like Waybill's unknown keys, with the closest property name.
   *
   * @param environment the application's environment
   * @param families the owned families as Spring prefixes, e.g. {@code waybill.relay.}
   * @param known the declared settings of those families
   * @param extra further property names of the families that are not settings (e.g. {@code
   *     waybill.relay.enabled})
   * @return one problem per unknown property, in the form {@code (unknown) → name → reason}
   */
  public static List<String> unknownProperties(
      Environment environment,
      Collection<String> families,
      Collection<Setting<?>> known,
      Collection<String> extra) {
    List<ConfigurationPropertyName> names = new ArrayList<>();
    for (Setting<?> s : known) {
      names.add(ConfigurationPropertyName.of(PropertyNames.springName(s.key())));
      names.add(ConfigurationPropertyName.of(PropertyNames.alias(s.key())));
      for (String old : s.deprecatedAliases()) {
        names.add(ConfigurationPropertyName.of(PropertyNames.springName(old)));
        names.add(ConfigurationPropertyName.of(PropertyNames.alias(old)));
      }
    }
    extra.forEach(e -> names.add(ConfigurationPropertyName.of(e)));
    List<String> problems = new ArrayList<>();
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (!(source instanceof IterableConfigurationPropertySource iterable)) {
        continue;
      }
      iterable.stream()
          .filter(n -> families.stream().anyMatch(f -> n.toString().startsWith(f)))
          .filter(n -> names.stream().noneMatch(k -> k.equals(n)))
          .map(ConfigurationPropertyName::toString)
          .distinct()
          .forEach(
              n ->
                  problems.add(
                      "(unknown) → "
                          + n
                          + " → not a Waybill property"
                          + closest(n, known).map(c -> "; did you mean " + c + "?").orElse("")
                          + " (see docs/spring.md)"));
    }
    return problems;
  }

  /**
   * The declared property nearest to a misspelt one, found by Waybill's own rule ({@link
   * Settings#closestKey}) on the dotted form of the name.
   */
  private static Optional<String> closest(String name, Collection<Setting<?>> known) {
    String dotted = name.substring(PropertyNames.PREFIX.length()).replace('-', '.');
    return Settings.closestKey(dotted, known).map(PropertyNames::springName);
  }

  /**
   * Runs a read of typed settings and, when it fails, rethrows its problems with the Spring
   * property names in place of Waybill's keys.
   *
   * @param <T> what is read
   * @param read reads and validates, e.g. {@code () -> RelayConfig.read(settings)}
   * @param known the settings whose keys are translated
   * @param earlier problems found before (e.g. unknown properties), reported first
   * @return what {@code read} returned
   * @throws ConfigException listing every problem, each naming a Spring property
   */
  public static <T> T validated(
      Supplier<T> read, Collection<Setting<?>> known, List<String> earlier) {
    List<String> problems = new ArrayList<>(earlier);
    T result = null;
    try {
      result = read.get();
    } catch (ConfigException e) {
      e.problems().forEach(p -> problems.add(translate(p, known)));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return result;
  }

  /**
   * One problem, {@code value → key → reason}, with the Spring names of the key and of every
   * setting the reason mentions.
   *
   * @param problem a problem as Waybill's settings report it
   * @param known the settings whose keys are translated
   * @return the problem in Spring's terms
   */
  public static String translate(String problem, Collection<Setting<?>> known) {
    String[] parts = problem.split(" → ", 3);
    if (parts.length < 3) {
      return problem;
    }
    Optional<String> name = PropertyNames.springNameOf(parts[1].trim(), known);
    if (name.isEmpty()) {
      return problem;
    }
    String reason = parts[2];
    if (parts[0].equals("(missing)")) {
      reason =
          "required: set "
              + name.get()
              + " in the application's properties or as environment variable "
              + name.get().toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace("-", "")
              + (parts[1].trim().equals(KAFKA_BOOTSTRAP)
                  ? " (or set " + SPRING_KAFKA_BOOTSTRAP + ")"
                  : "");
    } else {
      reason = mentions(reason, known);
    }
    return parts[0] + " → " + name.get() + " → " + reason;
  }

  private static String mentions(String reason, Collection<Setting<?>> known) {
    String out = reason;
    List<Setting<?>> longestFirst = new ArrayList<>(known);
    longestFirst.sort(Comparator.comparingInt((Setting<?> s) -> s.key().length()).reversed());
    for (Setting<?> s : longestFirst) {
      Pattern p = Pattern.compile("(?<![\\w.-])" + Pattern.quote(s.key()) + "(?![\\w-]|\\.\\w)");
      out = p.matcher(out).replaceAll(Matcher.quoteReplacement(PropertyNames.springName(s.key())));
    }
    return out;
  }
}
