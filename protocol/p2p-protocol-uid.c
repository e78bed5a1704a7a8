/* p2p-protocol
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Device UIDs: 16 Crockford base-32 symbols in groups of four, the last two
 * a CRC-10 of the first fourteen. A degree-10 CRC catches every burst of up
 * to 10 bits, which covers any single mistyped symbol (5 bits) and any swap
 * of two neighbouring symbols (10 bits). */

#include "p2p-protocol-uid.h"

#include <string.h>
#include <openssl/rand.h>

G_DEFINE_QUARK (p2p_uid_error, p2p_uid_error);

static const gchar alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#define BODY_SYMBOLS 14
#define ALL_SYMBOLS 16
#define CRC_POLY 0x233          /* x^10 + x^9 + x^5 + x^4 + x + 1, x^10 implied */

/* Value of a symbol, reading the look-alikes O, I and L as 0, 1 and 1 so a
 * UID copied by hand still matches; -1 when not a symbol. */
static gint
symbol_value (gchar c)
{
  const gchar *p;

  c = g_ascii_toupper (c);
  if (c == 'O')
    c = '0';
  else if (c == 'I' || c == 'L')
    c = '1';
  if (c == '\0')
    return -1;
  p = strchr (alphabet, c);
  return p ? (gint) (p - alphabet) : -1;
}

static guint
check_value (const guint8 * symbols)
{
  guint crc = 0;
  guint i;
  gint bit;

  for (i = 0; i < BODY_SYMBOLS; i++) {
    for (bit = 4; bit >= 0; bit--) {
      guint in = (symbols[i] >> bit) & 1;
      guint top = (crc >> 9) & 1;

      crc = (crc << 1) & 0x3ff;
      if (top ^ in)
        crc ^= CRC_POLY;
    }
  }
  return crc;
}

static gchar *
format_uid (const guint8 * symbols)
{
  GString *s = g_string_sized_new (P2P_UID_LENGTH);
  guint i;

  for (i = 0; i < ALL_SYMBOLS; i++) {
    if (i > 0 && i % 4 == 0)
      g_string_append_c (s, '-');
    g_string_append_c (s, alphabet[symbols[i]]);
  }
  return g_string_free (s, FALSE);
}

/* The 16 symbol values of @text, or FALSE with @error set. */
static gboolean
parse_symbols (const gchar * text, guint8 symbols[ALL_SYMBOLS], GError ** error)
{
  guint i, n = 0;

  if (strlen (text) != P2P_UID_LENGTH) {
    g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT,
        "A UID has %d characters (XXXX-XXXX-XXXX-XXXX)", P2P_UID_LENGTH);
    return FALSE;
  }
  for (i = 0; i < P2P_UID_LENGTH; i++) {
    if (i % 5 == 4) {
      if (text[i] != '-') {
        g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT,
            "Character %u of a UID must be '-'", i + 1);
        return FALSE;
      }
      continue;
    }
    if (symbol_value (text[i]) < 0) {
      g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT,
          "Character %u of the UID is not one of %s", i + 1, alphabet);
      return FALSE;
    }
    symbols[n++] = symbol_value (text[i]);
  }
  return TRUE;
}

/**
 * p2p_uid_normalize:
 * @text: a UID as typed or received
 * @error: return location for a #P2P_UID_ERROR
 *
 * Checks @text is a well-formed UID with matching check symbols and returns
 * its canonical spelling (upper case, look-alike letters replaced).
 *
 * Returns: (transfer full) (nullable): the normalised UID, or %NULL with
 *     @error set
 */
gchar *
p2p_uid_normalize (const gchar * text, GError ** error)
{
  guint8 symbols[ALL_SYMBOLS];
  guint check;

  g_return_val_if_fail (text != NULL, NULL);

  if (!parse_symbols (text, symbols, error))
    return NULL;
  check = check_value (symbols);
  if (symbols[14] != (check >> 5) || symbols[15] != (check & 31)) {
    g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_CHECK,
        "The UID's check symbols do not match (mistyped UID?)");
    return NULL;
  }
  return format_uid (symbols);
}

/**
 * p2p_uid_normalize_form:
 * @text: a UID as typed or received
 * @error: return location for a #P2P_UID_ERROR
 *
 * Like p2p_uid_normalize() without checking the check symbols: the form
 * clients accept and compare, leaving the check to the registry.
 *
 * Returns: (transfer full) (nullable): the normalised UID, or %NULL with
 *     @error set
 */
gchar *
p2p_uid_normalize_form (const gchar * text, GError ** error)
{
  guint8 symbols[ALL_SYMBOLS];

  g_return_val_if_fail (text != NULL, NULL);

  if (!parse_symbols (text, symbols, error))
    return NULL;
  return format_uid (symbols);
}

/**
 * p2p_uid_generate:
 * @prefix: (nullable): 0 to 4 symbols the UID starts with, or %NULL
 * @error: return location for a #P2P_UID_ERROR
 *
 * Makes a new UID: @prefix, then random symbols from OpenSSL's generator up
 * to 14, then the check symbols. Random bodies keep UIDs unguessable, so
 * knowing one camera's UID tells nothing about its neighbours'.
 *
 * Returns: (transfer full) (nullable): the UID or %NULL with @error set
 */
gchar *
p2p_uid_generate (const gchar * prefix, GError ** error)
{
  guint8 symbols[ALL_SYMBOLS];
  guint8 random[BODY_SYMBOLS];
  guint i, n = 0;
  guint check;

  if (prefix) {
    if (strlen (prefix) > 4) {
      g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_PREFIX,
          "A UID prefix has at most 4 symbols");
      return NULL;
    }
    for (; prefix[n]; n++) {
      gint v = symbol_value (prefix[n]);

      if (v < 0) {
        g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_PREFIX,
            "Prefix symbol '%c' is not one of %s", prefix[n], alphabet);
        return NULL;
      }
      symbols[n] = v;
    }
  }
  if (RAND_bytes (random, sizeof (random)) != 1) {
    g_set_error (error, P2P_UID_ERROR, P2P_UID_ERROR_FORMAT,
        "The random generator failed");
    return NULL;
  }
  for (i = n; i < BODY_SYMBOLS; i++)
    symbols[i] = random[i] & 31;

  check = check_value (symbols);
  symbols[14] = check >> 5;
  symbols[15] = check & 31;
  return format_uid (symbols);
}
