package dev.waybill.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.spring.jpaapp.JpaApp;
import dev.waybill.spring.jpaapp.JpaOrders;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * A JPA (Hibernate) application with the starter and the embedded relay on: the outbox writes
 * through the JDBC connection of the JPA transaction, so it commits and rolls back with the
 * entities.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JpaAppIT {
  private TestDatabase db;
  private String topic;
  private ConfigurableApplicationContext context;
  private JpaOrders orders;
  private DataSource dataSource;

  @BeforeAll
  void start() {
    db = TestDatabases.postgres();
    topic = TestApps.newTopic("spring-jpa-");
    context =
        TestApps.start(
            JpaApp.class,
            db,
            "--spring.jpa.hibernate.ddl-auto=create",
            "--spring.jpa.open-in-view=false",
            "--spring.main.web-application-type=none",
            "--waybill.relay.enabled=true",
            "--waybill.relay.instance-id=jpa-app");
    orders = context.getBean(JpaOrders.class);
    dataSource = context.getBean(DataSource.class);
  }

  @AfterAll
  void stop() {
    TestApps.stop(context, db);
  }

  @Test
  void publishesWhatAJpaTransactionCommitsAndNothingItRollsBack() {
    assertThat(context.getBean(PlatformTransactionManager.class))
        .isInstanceOf(JpaTransactionManager.class);

    assertThatThrownBy(() -> orders.place(topic, "jpa-declined", true))
        .isInstanceOf(IllegalStateException.class);
    orders.place(topic, "jpa-placed", false);

    List<String> keys = Topics.keysOnceDrained(topic, "jpa-placed", dataSource);

    assertThat(keys).containsExactly("jpa-placed");
    assertThat(orders.count()).isEqualTo(1);
  }
}
