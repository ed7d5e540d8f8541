package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.spring.jdbcapp.JdbcApp;
import dev.waybill.spring.jdbcapp.JdbcOrders;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A {@code JdbcTemplate} application with the starter and the embedded relay on, on PostgreSQL and
 * Kafka: what a {@code @Transactional} method or a {@code TransactionTemplate} commits is
 * published, what it rolls back is not, a write outside a transaction is refused, and Actuator
 * shows the relay's health and meters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JdbcTemplateAppIT {
  private TestDatabase db;
  private String topic;
  private ConfigurableApplicationContext context;
  private JdbcOrders orders;
  private TransactionalOutbox outbox;
  private DataSource dataSource;
  private int port;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabases.postgres();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE shop_orders (id text PRIMARY KEY)");
    }
    topic = TestApps.newTopic("spring-jdbc-");
    context =
        TestApps.start(
            JdbcApp.class,
            db,
            "--waybill.relay.enabled=true",
            "--waybill.relay.instance-id=jdbc-app",
            "--server.port=0",
            "--management.endpoints.web.exposure.include=health,prometheus",
            "--management.endpoint.health.show-details=always");
    orders = context.getBean(JdbcOrders.class);
    outbox = context.getBean(TransactionalOutbox.class);
    dataSource = context.getBean(DataSource.class);
    port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
  }

  @AfterAll
  void stop() {
    TestApps.stop(context, db);
  }

  @Test
  void theOutboxBeanIsTheApplicationsOutboxUnderAJdbcTransactionManager() {
    assertThat(context.getBean(Outbox.class)).isSameAs(outbox);
    assertThat(context.getBean(PlatformTransactionManager.class))
        .isInstanceOf(DataSourceTransactionManager.class);
  }

  @Test
  void publishesWhatATransactionalMethodCommitsAndNothingItRollsBack() {
    assertThatThrownBy(() -> orders.place(topic, "declined-1", true))
        .isInstanceOf(IllegalStateException.class);
    orders.place(topic, "placed-1", false);

    List<String> keys = Topics.keysOnceDrained(topic, "placed-1", dataSource);

    assertThat(keys).contains("placed-1").doesNotContain("declined-1");
    assertThat(
            new JdbcTemplate(dataSource)
                .queryForList(
                    "SELECT id FROM shop_orders WHERE id IN ('placed-1', 'declined-1')",
                    String.class))
        .containsExactly("placed-1");
  }

  @Test
  void aTransactionTemplateIsJoinedToo() {
    TransactionTemplate tx =
        new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    tx.executeWithoutResult(
        status -> {
          outbox.write(message("template-rolled-back"));
          status.setRollbackOnly();
        });
    tx.executeWithoutResult(status -> outbox.write(message("template-committed")));

    List<String> keys = Topics.keysOnceDrained(topic, "template-committed", dataSource);

    assertThat(keys).contains("template-committed").doesNotContain("template-rolled-back");
  }

  @Test
  void aJdbiHandleOverTheSpringTransactionIsJoined() {
    // Jdbi on Spring's transaction-aware proxy: its handles use the connection Spring bound to the
    // transaction, and leave ending the transaction to Spring
    Jdbi jdbi = Jdbi.create(new TransactionAwareDataSourceProxy(dataSource));
    jdbi.getConfig(Handles.class).setForceEndTransactions(false);
    TransactionTemplate tx =
        new TransactionTemplate(context.getBean(PlatformTransactionManager.class));
    tx.executeWithoutResult(
        status -> {
          jdbi.useHandle(
              h -> {
                h.execute("INSERT INTO shop_orders (id) VALUES ('jdbi-rolled-back')");
                outbox.write(h, message("jdbi-rolled-back"));
              });
          outbox.write(message("jdbi-rolled-back-2"));
          status.setRollbackOnly();
        });
    tx.executeWithoutResult(
        status ->
            jdbi.useHandle(
                h -> {
                  h.execute("INSERT INTO shop_orders (id) VALUES ('jdbi-committed')");
                  outbox.write(h, message("jdbi-committed"));
                }));

    List<String> keys = Topics.keysOnceDrained(topic, "jdbi-committed", dataSource);

    assertThat(keys)
        .contains("jdbi-committed")
        .doesNotContain("jdbi-rolled-back", "jdbi-rolled-back-2");
    assertThat(
            new JdbcTemplate(dataSource)
                .queryForList("SELECT id FROM shop_orders WHERE id LIKE 'jdbi-%'", String.class))
        .containsExactly("jdbi-committed");
  }

  @Test
  void refusesAWriteOutsideATransaction() {
    assertThatThrownBy(() -> outbox.write(message("no-transaction")))
        .isInstanceOf(NotInTransactionException.class)
        .hasMessageContaining("no Spring-managed transaction is active")
        .hasMessageContaining("@Transactional");
    assertThat(
            new JdbcTemplate(dataSource)
                .queryForObject(
                    "SELECT count(*) FROM waybill_outbox WHERE msg_key = 'no-transaction'",
                    Long.class))
        .isZero();
  }

  @Test
  void actuatorHealthShowsTheRelayUp() {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              HttpResponse<String> health = get("/actuator/health");
              assertThat(health.statusCode()).isEqualTo(200);
              assertThat(health.body().replace(" ", ""))
                  .contains("\"waybillRelay\":{")
                  .containsPattern(
                      "\"waybillRelay\":\\{(\"details\":\\{[^}]*\\},)?\"status\":\"UP\"")
                  .contains("\"instance\":\"jdbc-app\"");
            });
  }

  @Test
  void prometheusShowsTheRelaysMeters() throws Exception {
    orders.place(topic, "metered-1", false);
    Topics.keysOnceDrained(topic, "metered-1", dataSource);

    HttpResponse<String> scrape = get("/actuator/prometheus");

    assertThat(scrape.statusCode()).isEqualTo(200);
    assertThat(scrape.body())
        .containsPattern("(?m)^waybill_relay_published_total\\{[^}]*\\} [1-9]");
  }

  private OutboxMessage message(String key) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType("Test")
        .jsonPayload("{}")
        .build();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
  }
}
