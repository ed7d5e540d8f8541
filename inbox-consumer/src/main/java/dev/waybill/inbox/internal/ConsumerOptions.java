package dev.waybill.inbox.internal;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.MessageHandler;
import dev.waybill.inbox.spi.MessageIdExtractor;
import dev.waybill.inbox.spi.TransactionRunner;
import dev.waybill.inbox.spi.Upcaster;
import dev.waybill.outbox.dialect.Dialect;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;

/**
 * Everything an {@link dev.waybill.inbox.InboxConsumer.Builder} collected, validated. Not API.
 *
 * @param config the settings
 * @param dataSource the database
 * @param kafka consumer properties
 * @param producer extra dead-letter producer properties
 * @param handlers handlers by event type
 * @param defaultHandler the default handler, or null
 * @param upcasters upcasters in order
 * @param messageIds the id extractor
 * @param retriable which failures are retried
 * @param meterRegistry where metrics go
 * @param dialect the dialect, or null to detect
 * @param jdbiCustomizer customizes the handlers' Jdbi
 * @param transactions opens the transactions handlers run in
 */
public record ConsumerOptions(
    InboxConfig config,
    DataSource dataSource,
    Map<String, Object> kafka,
    Map<String, Object> producer,
    Map<String, MessageHandler> handlers,
    MessageHandler defaultHandler,
    List<Upcaster> upcasters,
    MessageIdExtractor messageIds,
    Predicate<Throwable> retriable,
    MeterRegistry meterRegistry,
    Dialect dialect,
    Consumer<Jdbi> jdbiCustomizer,
    TransactionRunner transactions) {}
