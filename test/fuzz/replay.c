/*
 * replay.c — a plain main() that feeds files to LLVMFuzzerTestOneInput, so
 * the corpus runs as a regression test with any compiler and without the
 * libFuzzer runtime.  Arguments are files or directories of files.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run_file(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	long		n;
	uint8_t    *buf;

	if (f == NULL)
	{
		perror(path);
		return 0;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* an exact-size heap copy, so an overread is caught by a sanitizer */
	buf = malloc(n > 0 ? (size_t) n : 1);
	if (fread(buf, 1, (size_t) n, f) != (size_t) n)
		n = 0;
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t) n);
	free(buf);
	return 1;
}

int
main(int argc, char **argv)
{
	int			count = 0;

	for (int i = 1; i < argc; i++)
	{
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
		{
			DIR		   *d = opendir(argv[i]);
			struct dirent *e;

			while (d && (e = readdir(d)) != NULL)
			{
				char		path[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
				count += run_file(path);
			}
			if (d)
				closedir(d);
		}
		else
			count += run_file(argv[i]);
	}
	printf("replayed %d inputs\n", count);
	return 0;
}
