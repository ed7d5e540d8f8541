package dev.waybill.spring.jpaapp;

import dev.waybill.spring.OrderEvents;
import dev.waybill.spring.TransactionalOutbox;
import jakarta.persistence.EntityManager;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Places orders through the entity manager; the outbox joins the JPA transaction. */
@Service
public class JpaOrders {
  private final EntityManager entities;
  private final TransactionalOutbox outbox;

  public JpaOrders(EntityManager entities, TransactionalOutbox outbox) {
    this.entities = entities;
    this.outbox = outbox;
  }

  /** Persists the order and writes its event; {@code decline} throws after both. */
  @Transactional
  public void place(String topic, String orderId, boolean decline) {
    entities.persist(new ShopOrder(orderId));
    entities.flush();
    outbox.write(OrderEvents.placed(topic, orderId));
    if (decline) {
      throw new IllegalStateException("order " + orderId + " declined");
    }
  }

  /** How many orders the table holds, read in a transaction of its own. */
  @Transactional(readOnly = true)
  public long count() {
    return entities.createQuery("select count(o) from ShopOrder o", Long.class).getSingleResult();
  }
}
