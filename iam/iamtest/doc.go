// Package iamtest is OpenGate's test infrastructure: real PostgreSQL, Redis and
// Kafka-protocol brokers for tests, each isolated per test.
//
// PostgreSQL and Redis come from OPENGATE_TEST_POSTGRES_URL and
// OPENGATE_TEST_REDIS_URL when set; otherwise from containers started with
// dockertest when a Docker engine answers; otherwise the test is skipped with
// a message naming the variable — or fails when OPENGATE_TEST_REQUIRE=1.
// Kafka is always franz-go's in-process kfake cluster over real TCP.
//
//	func TestStore(t *testing.T) {
//		pool := iamtest.Postgres(t) // a fresh database, dropped after the test
//		...
//	}
package iamtest
