/** The runtimes this node supports, mapped from runtime refs to local interpreters. */
package org.aleph4j.crn.runtime;
