/**
 * Costs and balances: pure hold-model cost computation from the pricing aggregate and balance coverage decisions,
 * and the HTTP balance, price and estimate queries built on them.
 */
package org.aleph4j.ccn.balance;
