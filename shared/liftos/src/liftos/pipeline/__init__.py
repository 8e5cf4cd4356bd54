"""Stage logic of the stream processors, pure of Kafka: bytes in, rows and dead letters out.

The services feed these functions with messages from the broker and only wire their results to
topics and tables, so everything here is testable without a broker.
"""
