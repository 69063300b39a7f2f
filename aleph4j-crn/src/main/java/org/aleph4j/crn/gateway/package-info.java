/** HTTP routing of program requests (/vm/{hash} and base32 host names) and the streaming reverse proxy. */
package org.aleph4j.crn.gateway;
