package dev.waybill.spring.jdbcapp;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that writes with {@code JdbcTemplate} and {@code @Transactional} under
 * Boot's {@code DataSourceTransactionManager}: JPA, on the test class path for the JPA application,
 * is switched off here.
 */
@SpringBootApplication(
    excludeName = {
      "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
      "org.springframework.boot.data.jpa.autoconfigure.DataJpaRepositoriesAutoConfiguration"
    })
public class JdbcApp {}
