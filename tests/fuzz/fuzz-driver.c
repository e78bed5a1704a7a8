/* Fuzz target driver for builds without libFuzzer
 * Copyright (C) 2026 The gst-p2p authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Runs a fuzz target the way `meson test` can: every file given on the
 * command line (the seed corpus), then a bounded number of deterministic
 * mutations of those seeds (bit flips, truncations, splices, random bytes).
 * With -Dfuzzing=true and clang, the same targets link against libFuzzer
 * instead and this file is not used. */

#include <glib.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

#define MUTATIONS 20000
#define FUZZ_MAX_INPUT 8192

static void
run (const guint8 * data, gsize size)
{
  /* A private copy, exactly sized, so out-of-bounds reads are caught by
   * valgrind or ASan instead of landing in the caller's buffer. Not NULL
   * for an empty input either, as libFuzzer's (g_memdup2() gives NULL,
   * which fuzz-viewer's g_strndup() turned into a NULL string): glibc's
   * and ASan's malloc (0) return a block of no bytes. */
  guint8 *copy = malloc (size);

  g_assert (copy != NULL);
  if (size)
    memcpy (copy, data, size);
  LLVMFuzzerTestOneInput (copy, size);
  free (copy);
}

static void
mutate (GRand * rand, GByteArray * buf, GPtrArray * seeds)
{
  guint n = g_rand_int_range (rand, 1, 8);
  guint i;

  for (i = 0; i < n; i++) {
    guint op = g_rand_int_range (rand, 0, 5);
    guint pos = buf->len ? g_rand_int_range (rand, 0, buf->len) : 0;

    switch (op) {
      case 0:                  /* flip a bit */
        if (buf->len)
          buf->data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
        break;
      case 1:                  /* truncate */
        g_byte_array_set_size (buf, pos);
        break;
      case 2:{                 /* insert random bytes */
        guint8 bytes[16];
        guint len = g_rand_int_range (rand, 1, sizeof (bytes));
        guint j;

        for (j = 0; j < len; j++)
          bytes[j] = g_rand_int (rand);
        if (buf->len + len <= FUZZ_MAX_INPUT) {
          g_byte_array_set_size (buf, buf->len + len);
          memmove (buf->data + pos + len, buf->data + pos,
              buf->len - len - pos);
          memcpy (buf->data + pos, bytes, len);
        }
        break;
      }
      case 3:{                 /* splice in part of another seed */
        GBytes *other = g_ptr_array_index (seeds,
            g_rand_int_range (rand, 0, seeds->len));
        gsize olen;
        const guint8 *odata = g_bytes_get_data (other, &olen);

        if (olen) {
          guint from = g_rand_int_range (rand, 0, olen);
          guint len = MIN (olen - from, FUZZ_MAX_INPUT - pos);

          g_byte_array_set_size (buf, pos);
          g_byte_array_append (buf, odata + from, len);
        }
        break;
      }
      case 4:                  /* set an interesting byte */
        if (buf->len) {
          static const guint8 vals[] = { 0, 0xff, 0x7f, 0x80, '\n', ':', ' ',
            '=', 20, 63, 128, 191, 200
          };
          buf->data[pos] = vals[g_rand_int_range (rand, 0,
                  G_N_ELEMENTS (vals))];
        }
        break;
    }
  }
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) seeds =
      g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5245);
  gint i;

  for (i = 1; i < argc; i++) {
    gchar *contents;
    gsize len;

    if (!g_file_get_contents (argv[i], &contents, &len, NULL)) {
      g_printerr ("cannot read seed %s\n", argv[i]);
      return 1;
    }
    g_ptr_array_add (seeds, g_bytes_new_take (contents, len));
  }
  if (seeds->len == 0)
    g_ptr_array_add (seeds, g_bytes_new_static ("", 0));

  for (i = 0; i < (gint) seeds->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (seeds, i), &len);

    run (data, len);
  }

  for (i = 0; i < MUTATIONS; i++) {
    GBytes *seed = g_ptr_array_index (seeds, i % seeds->len);
    gsize len;
    const guint8 *data = g_bytes_get_data (seed, &len);
    g_autoptr (GByteArray) buf = g_byte_array_sized_new (len + 16);

    g_byte_array_append (buf, data, MIN (len, FUZZ_MAX_INPUT));
    mutate (rand, buf, seeds);
    run (buf->data, buf->len);
  }
  g_print ("%u seeds, %d mutations: no crash\n", seeds->len, MUTATIONS);
  return 0;
}
