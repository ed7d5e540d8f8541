package dev.waybill.outbox.internal;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises a Kafka client's authentication failure (SASL credentials refused, or a TLS handshake
 * that failed) and says what to fix, for the relay, the inbox consumer and the DLQ tool alike.
 * Matches Kafka's exception classes by name, so that {@code outbox-core} needs no Kafka dependency.
 * The text names the user, the mechanism, the protocol and the brokers, never a password. Not API.
 */
public final class KafkaAuthentication {
  private static final String AUTHENTICATION_EXCEPTION =
      "org.apache.kafka.common.errors.AuthenticationException";
  private static final String SSL_EXCEPTION =
      "org.apache.kafka.common.errors.SslAuthenticationException";
  private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

  private KafkaAuthentication() {}

  /**
   * The Kafka {@code AuthenticationException} (SASL or TLS) in {@code error}'s cause chain.
   *
   * @param error any failure, e.g. an {@code ExecutionException} from a Kafka future
   * @return the authentication failure, or empty when the failure is something else
   */
  public static Optional<Throwable> failure(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (isA(t, AUTHENTICATION_EXCEPTION)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  /**
   * What failed and what to do, e.g. {@code Kafka at 10.0.0.1:9093 refused to authenticate user
   * 'relay' with SASL mechanism SCRAM-SHA-512 over SASL_SSL (Authentication failed ...): check the
   * user name and password in kafka.sasl.jaas.config and that the user exists on the cluster}.
   *
   * @param settings the client settings, without a prefix (bootstrap.servers, security.protocol,
   *     sasl.*, ssl.*)
   * @param prefix how the user writes those settings: {@code "kafka."} for the relay, {@code ""}
   *     for a properties file
   * @param failure the authentication failure (see {@link #failure})
   * @return one line without a secret
   */
  public static String describe(Map<String, ?> settings, String prefix, Throwable failure) {
    String brokers = text(settings, "bootstrap.servers", "(no bootstrap.servers)");
    String protocol = text(settings, "security.protocol", "PLAINTEXT");
    String reason = String.valueOf(failure.getMessage());
    if (isA(failure, SSL_EXCEPTION)) {
      return "the TLS handshake with Kafka at "
          + brokers
          + " failed ("
          + reason
          + "): check that "
          + prefix
          + "ssl.truststore.location (or "
          + prefix
          + "ssl.truststore.certificates) holds the CA that signed the broker's certificate, and"
          + " that the certificate names the host in "
          + prefix
          + "bootstrap.servers";
    }
    String mechanism = text(settings, "sasl.mechanism", "GSSAPI");
    return "Kafka at "
        + brokers
        + " refused to authenticate "
        + user(settings).map(u -> "user '" + u + "'").orElse("the client")
        + " with SASL mechanism "
        + mechanism
        + " over "
        + protocol
        + " ("
        + reason
        + "): check the user name and password in "
        + prefix
        + "sasl.jaas.config, that "
        + prefix
        + "sasl.mechanism is one the broker enables, and that the user exists on the cluster";
  }

  /** The {@code username="..."} of the JAAS config, if any. */
  private static Optional<String> user(Map<String, ?> settings) {
    Object jaas = settings.get("sasl.jaas.config");
    if (jaas == null) {
      return Optional.empty();
    }
    Matcher m = USERNAME.matcher(jaas.toString());
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  private static String text(Map<String, ?> settings, String key, String absent) {
    Object v = settings.get(key);
    return v == null || v.toString().isBlank() ? absent : v.toString().trim();
  }

  private static boolean isA(Throwable t, String className) {
    for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
      if (c.getName().equals(className)) {
        return true;
      }
    }
    return false;
  }
}
