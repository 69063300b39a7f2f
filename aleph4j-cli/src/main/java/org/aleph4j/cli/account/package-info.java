/** {@code aleph account}: create, import and inspect keys; read balances. */
package org.aleph4j.cli.account;
