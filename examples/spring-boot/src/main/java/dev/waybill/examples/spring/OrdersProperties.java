package dev.waybill.examples.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The application's settings ({@code orders.*}).
 *
 * @param topic the Kafka topic of the order events ({@code orders.topic})
 * @param billingGroup the billing consumer's group ({@code orders.billing-group})
 * @param creditLimitCents the most a customer's orders may add up to ({@code
 *     orders.credit-limit-cents})
 */
@ConfigurationProperties("orders")
public record OrdersProperties(
    @DefaultValue("orders") String topic,
    @DefaultValue("billing") String billingGroup,
    @DefaultValue("100000") long creditLimitCents) {}
