-- The application's own tables, run by Spring Boot at start (spring.sql.init.mode=always).
-- Waybill's outbox and inbox tables are created by the WaybillSchema bean.
CREATE TABLE IF NOT EXISTS orders (
  id           varchar(36) PRIMARY KEY,
  customer     varchar(100) NOT NULL,
  amount_cents bigint NOT NULL,
  placed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS customer_balance (
  customer      varchar(100) PRIMARY KEY,
  orders        integer NOT NULL,
  balance_cents bigint NOT NULL
);
