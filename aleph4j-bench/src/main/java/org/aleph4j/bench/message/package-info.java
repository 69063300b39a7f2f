/** JMH benchmarks of the message model: signature recovery (native and pure Java) and envelope validation. */
package org.aleph4j.bench.message;
