package dev.waybill.spring.inbox;

import dev.waybill.inbox.Inbox;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.inbox.spi.TransactionRunner;
import dev.waybill.spring.SchemaMode;
import dev.waybill.spring.inbox.internal.InboxConsumers;
import dev.waybill.spring.inbox.internal.InboxHandlerRegistry;
import dev.waybill.spring.inbox.internal.InboxSchema;
import dev.waybill.spring.inbox.internal.InboxSettings;
import dev.waybill.spring.inbox.internal.JsonPayloads;
import dev.waybill.spring.inbox.internal.KafkaClientProperties;
import io.micrometer.core.instrument.MeterRegistry;
import javax.sql.DataSource;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * Auto-configuration of the inbox side: {@link InboxHandler} methods and beans run by one {@link
 * InboxConsumer} per consumer group inside Spring-managed transactions ({@link
 * SpringTransactionRunner}), and the {@link InboxOnce} helper for {@code @KafkaListener} methods.
 * Needs a {@link DataSource} and a {@link PlatformTransactionManager} for it; off with {@code
 * waybill.inbox.enabled=false}.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
      "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
      "org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration",
      "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration"
    })
@ConditionalOnClass({InboxConsumer.class, PlatformTransactionManager.class, DataSource.class})
@ConditionalOnBean({DataSource.class, PlatformTransactionManager.class})
@ConditionalOnProperty(
    prefix = "waybill.inbox",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
public class WaybillInboxAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public WaybillInboxAutoConfiguration() {}

  /**
   * Finds the {@link InboxHandler}s as beans are created.
   *
   * @param beans where the JSON mapper for payload parameters is found
   * @return the registry
   */
  @Bean
  static InboxHandlerRegistry waybillInboxHandlerRegistry(BeanFactory beans) {
    return new InboxHandlerRegistry(new JsonPayloads(beans));
  }

  /**
   * The {@code waybill.inbox.*} settings.
   *
   * @param environment the application's environment
   * @return the settings
   */
  @Bean
  InboxSettings waybillInboxSettings(Environment environment) {
    return InboxSettings.from(environment);
  }

  /**
   * Migrates the inbox tables at start when {@code waybill.schema.mode} is {@code waybill}.
   *
   * @param environment the application's environment
   * @param dataSource the application's database
   * @param settings the inbox settings
   * @return the schema handling, done
   */
  @Bean
  InboxSchema waybillInboxSchema(
      Environment environment, DataSource dataSource, InboxSettings settings) {
    SchemaMode mode = SchemaMode.parse(environment.getProperty(SchemaMode.PROPERTY, "waybill"));
    return new InboxSchema(mode, dataSource, settings);
  }

  /**
   * The inbox on {@code waybill.inbox.table} (and {@code waybill.inbox.schema}).
   *
   * @param settings the inbox settings
   * @param schema the schema handling, which has run before the inbox is used
   * @return the inbox
   */
  @Bean
  @ConditionalOnMissingBean
  Inbox waybillInbox(InboxSettings settings, InboxSchema schema) {
    return Inbox.builder().tables(settings.tables()).build();
  }

  /**
   * Runs the inbox consumers' transactions on the application's transaction manager.
   *
   * @param transactionManager the application's transaction manager
   * @return the runner
   */
  @Bean
  @ConditionalOnMissingBean
  TransactionRunner waybillInboxTransactionRunner(PlatformTransactionManager transactionManager) {
    return new SpringTransactionRunner(transactionManager);
  }

  /**
   * The once-only step for {@code @KafkaListener} methods.
   *
   * @param inbox the inbox
   * @param dataSource the database holding the inbox table
   * @param transactionManager opens a transaction when the caller has none
   * @return the helper
   */
  @Bean
  @ConditionalOnMissingBean
  InboxOnce waybillInboxOnce(
      Inbox inbox, DataSource dataSource, PlatformTransactionManager transactionManager) {
    return new InboxOnce(inbox, dataSource, transactionManager);
  }

  /**
   * The consumers of the {@link InboxHandler}s, started once the context is ready.
   *
   * @param registry the handlers found
   * @param settings the inbox settings
   * @param dataSource the database holding the inbox table
   * @param runner the transaction runner
   * @param beans where Spring Boot's Kafka properties are found
   * @param environment where {@code waybill.kafka.*} are read
   * @param meters the application's meter registry, if any
   * @param schema the schema handling, which has run before the consumers start
   * @return the lifecycle bean
   */
  @Bean
  InboxConsumers waybillInboxConsumers(
      InboxSchema schema,
      InboxHandlerRegistry registry,
      InboxSettings settings,
      DataSource dataSource,
      TransactionRunner runner,
      BeanFactory beans,
      Environment environment,
      ObjectProvider<MeterRegistry> meters) {
    return new InboxConsumers(
        registry,
        settings,
        dataSource,
        runner,
        new KafkaClientProperties(beans, environment),
        meters.getIfAvailable());
  }
}
