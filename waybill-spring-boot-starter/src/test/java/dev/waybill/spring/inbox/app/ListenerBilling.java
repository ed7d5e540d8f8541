package dev.waybill.spring.inbox.app;

import dev.waybill.spring.inbox.InboxOnce;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/** The {@code @KafkaListener} recipe: the inbox's once-only step in the listener's transaction. */
@Component
public class ListenerBilling {
  /** The listener's consumer group, also the inbox consumer name. */
  public static final String GROUP = "listener-billing";

  private final InboxOnce once;
  private final Invoices invoices;
  private final JsonMapper json;

  /**
   * @param once the once-only helper
   * @param invoices the JPA repository
   * @param json the application's JSON mapper
   */
  public ListenerBilling(InboxOnce once, Invoices invoices, JsonMapper json) {
    this.once = once;
    this.invoices = invoices;
    this.json = json;
  }

  /**
   * Bills an order once; fails when the amount is negative (Spring Kafka then dead-letters it).
   *
   * @param record the record
   */
  @KafkaListener(topics = "${test.listener.topic}", groupId = GROUP)
  @Transactional
  public void onOrder(ConsumerRecord<String, String> record) {
    once.run(
        GROUP,
        record,
        () -> {
          OrderPlaced event = json.readValue(record.value(), OrderPlaced.class);
          invoices.saveAndFlush(new Invoice(event.orderId(), event.amountCents(), GROUP));
          if (event.amountCents() < 0) {
            throw new IllegalStateException("negative amount for " + event.orderId());
          }
        });
  }
}
