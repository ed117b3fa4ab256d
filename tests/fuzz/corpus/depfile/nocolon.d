foo.o foo.c
