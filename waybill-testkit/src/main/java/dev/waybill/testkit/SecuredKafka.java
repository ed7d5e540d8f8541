package dev.waybill.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A real Kafka broker whose client listener is {@code SASL_SSL} with SCRAM-SHA-512 and Kafka's
 * {@code StandardAuthorizer}: an in-process KRaft broker (see {@link InProcessKafka}), one per JVM,
 * started on first use by the tests that need it and stopped at JVM exit. Other tests keep the
 * plain {@link TestKafka} broker.
 *
 * <p>Its TLS certificate is signed by a certificate authority made at start with the JDK's {@code
 * keytool} (files under {@code target/waybill-tls-<hex>}); {@link #truststore()} holds that CA, and
 * the certificate names {@code 127.0.0.1} and {@code localhost}, so clients verify the host name as
 * they do by default. No user exists until {@link #createUser} makes one; no user may do anything
 * until {@link #allow} grants it (no ACL means denied), except the super user {@value #SUPER_USER}.
 * The broker also listens on an unauthenticated {@code PLAINTEXT} listener of 127.0.0.1 for its own
 * controller traffic and this class's administration (its anonymous principal is a super user):
 * code under test must only be given {@link #bootstrapServers()}.
 *
 * <pre>{@code
 * SecuredKafka kafka = SecuredKafka.get();
 * kafka.createUser("relay", "relay-secret");
 * kafka.allow("relay", List.of(Grant.topic("orders", AclOperation.WRITE)));
 * Map<String, String> settings = kafka.clientSettings("relay", "relay-secret");
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class SecuredKafka {

  /** The mechanism every user of this broker authenticates with. */
  public static final String MECHANISM = "SCRAM-SHA-512";

  /** The super user, whose password is {@link #SUPER_USER_PASSWORD}. */
  public static final String SUPER_USER = "admin";

  /** The password of {@link #SUPER_USER}. */
  public static final String SUPER_USER_PASSWORD = "admin-secret";

  /**
   * How often a client authenticates again on an open connection: a password changed by {@link
   * #createUser} ends a running client's access within about this time.
   */
  public static final Duration REAUTHENTICATION = Duration.ofSeconds(5);

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Once<SecuredKafka> INSTANCE = new Once<>(SecuredKafka::launch);

  private final InProcessKafka broker;
  private final TestCertificates certificates;

  private SecuredKafka(InProcessKafka broker, TestCertificates certificates) {
    this.broker = broker;
    this.certificates = certificates;
  }

  /**
   * The JVM's secured broker, started (about 5 s, certificates included) on the first call.
   *
   * @throws IllegalStateException if it cannot start, now and on every later call
   */
  public static SecuredKafka get() {
    return INSTANCE.get();
  }

  private static SecuredKafka launch() {
    Path target = Path.of("target").toAbsolutePath();
    TestCertificates certificates =
        TestCertificates.create(target.resolve("waybill-tls-" + Names.hex(6)));
    Map<String, String> overrides = new HashMap<>();
    String listener = "listener.name.secured.";
    overrides.put(listener + "sasl.enabled.mechanisms", MECHANISM);
    overrides.put(
        listener + MECHANISM.toLowerCase() + ".sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required;");
    overrides.put(listener + "ssl.keystore.location", certificates.serverKeystore().toString());
    overrides.put(listener + "ssl.keystore.type", "PKCS12");
    overrides.put(listener + "ssl.keystore.password", certificates.password());
    overrides.put(listener + "ssl.key.password", certificates.password());
    overrides.put(
        "authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    // the broker's own listeners (PLAINTEXT, CONTROLLER) authenticate no one: ANONYMOUS
    overrides.put("super.users", "User:" + SUPER_USER + ";User:ANONYMOUS");
    overrides.put("allow.everyone.if.no.acl.found", "false");
    // clients authenticate again every few seconds, so a changed password takes effect on open
    // connections too (tests of credentials that go bad while a client runs)
    overrides.put("connections.max.reauth.ms", String.valueOf(REAUTHENTICATION.toMillis()));
    InProcessKafka broker = InProcessKafka.launch(target, overrides, true);
    Cleanup.atExit("stop the secured in-process Kafka broker", broker::close);
    Cleanup.atExit(
        "delete the test certificates",
        () -> {
          try (var paths = java.nio.file.Files.walk(certificates.directory())) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
          }
        });
    SecuredKafka kafka = new SecuredKafka(broker, certificates);
    kafka.createUser(SUPER_USER, SUPER_USER_PASSWORD);
    return kafka;
  }

  /** The {@code bootstrap.servers} value of the {@code SASL_SSL} listener. */
  public String bootstrapServers() {
    return broker.securedBootstrapServers();
  }

  /** The PKCS12 trust store holding the CA that signed the broker's certificate. */
  public Path truststore() {
    return certificates.truststore();
  }

  /** The password of {@link #truststore()}. */
  public String truststorePassword() {
    return certificates.password();
  }

  /**
   * Client settings (bootstrap servers, {@code SASL_SSL}, SCRAM-SHA-512 with this user and
   * password, the trust store) as a user would write them, without a prefix.
   *
   * @param user the SCRAM user name
   * @param password its password (need not be the right one)
   * @return a new mutable map
   */
  public Map<String, String> clientSettings(String user, String password) {
    Map<String, String> settings = new HashMap<>();
    settings.put("bootstrap.servers", bootstrapServers());
    settings.put("security.protocol", "SASL_SSL");
    settings.put("sasl.mechanism", MECHANISM);
    settings.put("sasl.jaas.config", jaasConfig(user, password));
    settings.put("ssl.truststore.location", truststore().toString());
    settings.put("ssl.truststore.type", "PKCS12");
    settings.put("ssl.truststore.password", truststorePassword());
    return settings;
  }

  /** {@link #clientSettings} as properties. */
  public Properties clientProperties(String user, String password) {
    Properties properties = new Properties();
    properties.putAll(clientSettings(user, password));
    return properties;
  }

  /** The {@code sasl.jaas.config} value of a SCRAM user. */
  public static String jaasConfig(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /**
   * Creates (or changes the password of) a SCRAM-SHA-512 user and waits until the broker
   * authenticates it.
   *
   * @throws IllegalStateException if the broker does not accept the user within 30 s
   */
  public void createUser(String user, String password) {
    withAdmin(
        admin ->
            admin
                .alterUserScramCredentials(
                    List.of(
                        new UserScramCredentialUpsertion(
                            user,
                            new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                            password)))
                .all()
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    Properties client = KafkaAdmin.properties(bootstrapServers(), Duration.ofSeconds(5));
    client.putAll(clientSettings(user, password));
    await(
        "the secured broker did not authenticate the new user " + user,
        () -> {
          try (Admin admin = Admin.create(client)) {
            admin.describeCluster().clusterId().get(5, TimeUnit.SECONDS);
            return true;
          } catch (ExecutionException e) {
            return false; // not propagated to the broker yet
          }
        });
  }

  /**
   * Grants ACLs and waits until the broker's authorizer has them.
   *
   * @param user the user the entries are for (an ALLOW from any host)
   * @param grants what the user may do on what
   * @throws IllegalStateException if the broker does not list them within 30 s
   */
  public void allow(String user, Collection<Grant> grants) {
    List<AclBinding> bindings = new ArrayList<>();
    for (Grant grant : grants) {
      bindings.add(
          new AclBinding(
              grant.resource(),
              new AccessControlEntry(
                  "User:" + user, "*", grant.operation(), AclPermissionType.ALLOW)));
    }
    withAdmin(admin -> admin.createAcls(bindings).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
    await(
        "the secured broker did not list the ACLs of " + user,
        () -> {
          try (Admin admin = Admin.create(adminProperties())) {
            Collection<AclBinding> present =
                admin.describeAcls(AclBindingFilter.ANY).values().get(5, TimeUnit.SECONDS);
            return present.containsAll(bindings);
          }
        });
  }

  /**
   * Creates a topic (if missing) with one replica, as the super user.
   *
   * @param topic the name
   * @param partitions its partition count
   */
  public void createTopic(String topic, int partitions) {
    withAdmin(
        admin -> {
          try {
            admin
                .createTopics(List.of(new NewTopic(topic, partitions, (short) 1)))
                .all()
                .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
              throw e;
            }
          }
          return null;
        });
  }

  /**
   * Admin client properties of the super user, over the broker's internal listener; for tests that
   * set up or check what the code under test did, never for the code under test itself.
   */
  public Properties adminProperties() {
    return KafkaAdmin.properties(broker.bootstrapServers(), Duration.ofSeconds(10));
  }

  /** An operation on a resource, for {@link #allow}. */
  public record Grant(ResourcePattern resource, AclOperation operation) {

    /** The operation on one topic. */
    public static Grant topic(String topic, AclOperation operation) {
      return new Grant(
          new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL), operation);
    }

    /** The operation on one consumer group. */
    public static Grant group(String group, AclOperation operation) {
      return new Grant(
          new ResourcePattern(ResourceType.GROUP, group, PatternType.LITERAL), operation);
    }

    /** The operation on the cluster. */
    public static Grant cluster(AclOperation operation) {
      return new Grant(
          new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
          operation);
    }
  }

  /** An admin action that may fail. */
  @FunctionalInterface
  private interface AdminAction {
    Object run(Admin admin) throws Exception;
  }

  /** A condition that may fail. */
  @FunctionalInterface
  private interface Condition {
    boolean holds() throws Exception;
  }

  private void withAdmin(AdminAction action) {
    try (Admin admin = Admin.create(adminProperties())) {
      action.run(admin);
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "the secured Kafka broker refused an admin request: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the secured Kafka broker did not answer in time", e);
    } catch (Exception e) {
      throw new IllegalStateException("admin request to the secured Kafka broker failed", e);
    }
  }

  private static void await(String failure, Condition condition) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (condition.holds()) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(failure + " within " + TIMEOUT.toSeconds() + " s", last);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
