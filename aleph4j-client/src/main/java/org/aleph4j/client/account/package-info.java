/** Accounts under the CLI's config home: key files in upstream's format and which one is active. */
package org.aleph4j.client.account;
