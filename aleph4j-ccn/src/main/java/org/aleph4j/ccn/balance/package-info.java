/** Pure hold-model cost computation from the pricing aggregate, and balance coverage decisions. */
package org.aleph4j.ccn.balance;
