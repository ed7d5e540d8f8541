package dev.waybill.spring.jpaapp;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A Spring Boot application that writes with JPA (Hibernate) and {@code @Transactional}. */
@SpringBootApplication
public class JpaApp {}
