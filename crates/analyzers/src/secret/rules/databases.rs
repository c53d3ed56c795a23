//! Database connection strings and data platforms.

use crate::secret::rule::{keyed, raw, Spec};
use inventory::Severity::*;

pub const RULES: &[Spec] = &[
    raw(
        "postgres-uri-password",
        "PostgreSQL connection string with a password",
        Critical,
        &["postgres://", "postgresql://"],
        r"\bpostgres(?:ql)?://[^\s:@/'\x22]{1,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "mysql-uri-password",
        "MySQL connection string with a password",
        Critical,
        &["mysql://", "mariadb://", "mysql+"],
        r"\b(?:mysql|mariadb)(?:\+\w+)?://[^\s:@/'\x22]{1,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "mongodb-uri-password",
        "MongoDB connection string with a password",
        Critical,
        &["mongodb://", "mongodb+srv://"],
        r"\bmongodb(?:\+srv)?://[^\s:@/'\x22]{1,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "redis-uri-password",
        "Redis connection string with a password",
        High,
        &["redis://", "rediss://"],
        r"\brediss?://[^\s:@/'\x22]{0,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "amqp-uri-password",
        "AMQP (RabbitMQ) connection string with a password",
        High,
        &["amqp://", "amqps://"],
        r"\bamqps?://[^\s:@/'\x22]{1,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "mssql-uri-password",
        "SQL Server connection string with a password",
        Critical,
        &["sqlserver://", "mssql://", "mssql+", "sqlserver+"],
        r"\b(?:sqlserver|mssql)(?:\+\w+)?://[^\s:@/'\x22]{1,64}:(?P<secret>[^\s:@/'\x22]{3,128})@[^\s/'\x22]+",
    ),
    raw(
        "jdbc-password",
        "JDBC URL with a password",
        Critical,
        &["jdbc:"],
        r"(?i)\bjdbc:[a-z0-9]+:[^\s'\x22]{0,200}?[?;&]password=(?P<secret>[^\s;&'\x22]{3,128})",
    ),
    raw(
        "connection-string-password",
        "Connection string with a password",
        High,
        &["password=", "pwd="],
        r"(?i)(?:server|data source|host)=[^;\n]{1,100};[^\x22'\n]{0,200}?(?:password|pwd)=(?P<secret>[^;\x22'\s]{4,128})",
    ),
    raw(
        "clickhouse-cloud-api-secret",
        "ClickHouse Cloud API secret key",
        High,
        &["4b1d"],
        r"\b(?P<secret>4b1d[A-Za-z0-9]{38})\b",
    )
    .entropy(3.5),
    keyed(
        "faunadb-secret",
        "Fauna database secret",
        High,
        &["fauna"],
        r"fauna",
        r"fn[A-Za-z0-9_-]{38}",
    ),
    keyed(
        "influxdb-token",
        "InfluxDB API token",
        High,
        &["influx"],
        r"influx",
        r"[A-Za-z0-9_-]{86}==",
    )
    .entropy(3.5),
    keyed(
        "snowflake-password",
        "Snowflake password",
        High,
        &["snowflake"],
        r"snowflake[\w.-]{0,20}pass(?:word)?",
        r"[^\s'\x22]{8,64}",
    )
    .entropy(3.0),
    keyed(
        "elastic-api-key",
        "Elasticsearch API key",
        High,
        &["elastic"],
        r"elastic[\w.-]{0,20}api[_-]?key",
        r"[A-Za-z0-9_=-]{40,100}",
    )
    .entropy(3.5),
    keyed(
        "neo4j-password",
        "Neo4j password",
        High,
        &["neo4j"],
        r"neo4j[\w.-]{0,10}(?:pass(?:word)?|auth)",
        r"neo4j/[^\s'\x22]{6,64}|[^\s'\x22/]{8,64}",
    )
    .entropy(3.0),
    raw(
        "mongodb-atlas-api-key",
        "MongoDB Atlas API private key",
        High,
        &["atlas"],
        r"(?i)atlas[\w.-]{0,20}private[_-]?key[\x22']?\s*[=:]\s*[\x22']?(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    ),
];
