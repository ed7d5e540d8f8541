package dev.waybill.spring.jpaapp;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An order, mapped with JPA. */
@Entity
@Table(name = "jpa_orders")
public class ShopOrder {
  @Id private String id;

  protected ShopOrder() {}

  public ShopOrder(String id) {
    this.id = id;
  }

  public String getId() {
    return id;
  }
}
