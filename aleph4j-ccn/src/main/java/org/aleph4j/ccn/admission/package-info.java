/** Admission control: per-address request rates and the key by which a remote address is counted. */
package org.aleph4j.ccn.admission;
