package dev.waybill.spring.inbox.app;

import org.springframework.data.jpa.repository.JpaRepository;

/** A Spring Data JPA repository: its writes join the surrounding Spring transaction. */
public interface Invoices extends JpaRepository<Invoice, String> {}
