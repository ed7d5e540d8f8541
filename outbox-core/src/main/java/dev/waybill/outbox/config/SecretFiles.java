package dev.waybill.outbox.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Secrets read from files, as Kubernetes mounts a secret volume: {@code KEY.file=PATH} gives {@code
 * KEY} the content of the file at {@code PATH}, its trailing line breaks removed. Applies to every
 * secret setting ({@code db.password.file}) and to every key of a pass-through family ({@code
 * kafka.sasl.jaas.config.file}, see {@link PassThroughFamily}). Setting both {@code KEY} and {@code
 * KEY.file} is a problem, and so is a file that cannot be read; the problems name the keys and the
 * path, never the content.
 */
public final class SecretFiles {
  /** What a key ends with when its value is the path of a file that holds the secret. */
  public static final String SUFFIX = ".file";

  private SecretFiles() {}

  /**
   * The file variant of a key.
   *
   * @param key a dotted key, e.g. {@code db.password}
   * @return the key of its file variant, e.g. {@code db.password.file}
   */
  public static String fileKey(String key) {
    return key + SUFFIX;
  }

  /**
   * Reads a secret from a file.
   *
   * @param fileKey the key that named the file, for the problem text, e.g. {@code db.password.file}
   * @param path the file's path as given
   * @param problems where a problem is recorded when the file cannot be read
   * @return the file's content without trailing line breaks, or empty when it cannot be read
   */
  static Optional<String> read(String fileKey, String path, List<String> problems) {
    String p = path.trim();
    try {
      String content = Files.readString(Path.of(p), StandardCharsets.UTF_8);
      return Optional.of(content.replaceAll("[\\r\\n]+$", ""));
    } catch (IOException | RuntimeException e) {
      problems.add(
          "'"
              + p
              + "' → "
              + fileKey
              + " → cannot be read ("
              + e.getClass().getSimpleName()
              + "): give the path of a readable file holding the value, e.g. a mounted secret");
      return Optional.empty();
    }
  }

  /**
   * The problem of a key given both directly and through its file variant.
   *
   * @param key the key, e.g. {@code db.password}
   * @return the problem text; names both keys, shows neither value
   */
  static String bothGiven(String key) {
    return "(secret) → "
        + key
        + " and "
        + fileKey(key)
        + " → both set: give the value or the file that holds it, not both";
  }
}
