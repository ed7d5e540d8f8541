package dev.waybill.outbox.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Gathers the raw settings of a Waybill command-line process the same way in every tool: a
 * properties file ({@code --config FILE}), then {@code WAYBILL_*} environment variables, then
 * {@code --set key=value} flags; later sources win. Used by the relay's and the DLQ tool's command
 * lines.
 */
public final class SettingsSources {
  private SettingsSources() {}

  /**
   * Reads the sources.
   *
   * @param configFile the properties file, or null for none
   * @param sets the {@code --set} flags, each {@code key=value}
   * @param environment the process environment (usually {@code System.getenv()})
   * @param known the declared settings, whose environment variables are read
   * @param passThrough key prefixes (e.g. {@code kafka.}) whose {@code WAYBILL_<PREFIX>_...}
   *     variables are passed through
   * @return the raw settings
   * @throws ConfigException listing every unreadable file and malformed flag
   */
  public static Settings load(
      Path configFile,
      List<String> sets,
      Map<String, String> environment,
      Collection<Setting<?>> known,
      Collection<String> passThrough) {
    Settings.Builder b = Settings.builder();
    List<String> problems = new ArrayList<>();
    if (configFile != null) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(configFile)) {
        p.load(in);
        b.properties(p);
      } catch (IOException e) {
        problems.add("'" + configFile + "' → --config → cannot be read (" + e.getMessage() + ")");
      }
    }
    b.environment(environment, known, passThrough);
    for (String s : sets) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        // the flag may be a bare secret (a value given without its key): never echo it
        problems.add(
            "(not shown) → --set → expected key=value, e.g. --set db.pool.size=4; this flag has"
                + " no '=' after a key (its text is not shown, it may be a secret)");
      } else {
        b.put(s.substring(0, eq).trim(), s.substring(eq + 1));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return b.build();
  }
}
