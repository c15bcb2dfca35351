//  Copyright 2013 Google Inc. All Rights Reserved.
//
//  Licensed under the Apache License, Version 2.0 (the "License");
//  you may not use this file except in compliance with the License.
//  You may obtain a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
//  Unless required by applicable law or agreed to in writing, software
//  distributed under the License is distributed on an "AS IS" BASIS,
//  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
//  See the License for the specific language governing permissions and
//  limitations under the License.


// CreateBinaryTree() copied verbatim from word2vec.c (https://code.google.com/archive/p/word2vec/,
// also /work/shared/anchors/word2vec/word2vec.c) with the declarations it needs, and a main() that
// reads counts (one per line, most frequent first, as SortVocab leaves them) and prints each
// word's code and points: tests/test_word2vec_hs.py compiles it as the oracle of wordlab's tree.

#include <stdio.h>
#include <stdlib.h>

#define MAX_CODE_LENGTH 40

struct vocab_word {
  long long cn;
  int *point;
  char *word, *code, codelen;
};

struct vocab_word *vocab;
long long vocab_size = 0;

// Create binary Huffman tree using the word counts
// Frequent words will have short uniqe binary codes
void CreateBinaryTree() {
  long long a, b, i, min1i, min2i, pos1, pos2, point[MAX_CODE_LENGTH];
  char code[MAX_CODE_LENGTH];
  long long *count = (long long *)calloc(vocab_size * 2 + 1, sizeof(long long));
  long long *binary = (long long *)calloc(vocab_size * 2 + 1, sizeof(long long));
  long long *parent_node = (long long *)calloc(vocab_size * 2 + 1, sizeof(long long));
  for (a = 0; a < vocab_size; a++) count[a] = vocab[a].cn;
  for (a = vocab_size; a < vocab_size * 2; a++) count[a] = 1e15;
  pos1 = vocab_size - 1;
  pos2 = vocab_size;
  // Following algorithm constructs the Huffman tree by adding one node at a time
  for (a = 0; a < vocab_size - 1; a++) {
    // First, find two smallest nodes 'min1, min2'
    if (pos1 >= 0) {
      if (count[pos1] < count[pos2]) {
        min1i = pos1;
        pos1--;
      } else {
        min1i = pos2;
        pos2++;
      }
    } else {
      min1i = pos2;
      pos2++;
    }
    if (pos1 >= 0) {
      if (count[pos1] < count[pos2]) {
        min2i = pos1;
        pos1--;
      } else {
        min2i = pos2;
        pos2++;
      }
    } else {
      min2i = pos2;
      pos2++;
    }
    count[vocab_size + a] = count[min1i] + count[min2i];
    parent_node[min1i] = vocab_size + a;
    parent_node[min2i] = vocab_size + a;
    binary[min2i] = 1;
  }
  // Now assign binary code to each vocabulary word
  for (a = 0; a < vocab_size; a++) {
    b = a;
    i = 0;
    while (1) {
      code[i] = binary[b];
      point[i] = b;
      i++;
      b = parent_node[b];
      if (b == vocab_size * 2 - 2) break;
    }
    vocab[a].codelen = i;
    vocab[a].point[0] = vocab_size - 2;
    for (b = 0; b < i; b++) {
      vocab[a].code[i - b - 1] = code[b];
      vocab[a].point[i - b] = point[b] - vocab_size;
    }
  }
  free(count);
  free(binary);
  free(parent_node);
}

int main(void) {
  long long a, b, cn, cap = 1024;
  vocab = (struct vocab_word *)calloc(cap, sizeof(struct vocab_word));
  while (scanf("%lld", &cn) == 1) {
    if (vocab_size == cap) {
      cap *= 2;
      vocab = (struct vocab_word *)realloc(vocab, cap * sizeof(struct vocab_word));
    }
    vocab[vocab_size].cn = cn;
    vocab[vocab_size].code = (char *)calloc(MAX_CODE_LENGTH, sizeof(char));
    vocab[vocab_size].point = (int *)calloc(MAX_CODE_LENGTH, sizeof(int));
    vocab_size++;
  }
  CreateBinaryTree();
  for (a = 0; a < vocab_size; a++) {
    for (b = 0; b < vocab[a].codelen; b++) printf("%s%d", b ? " " : "", vocab[a].code[b]);
    printf("|");
    for (b = 0; b < vocab[a].codelen; b++) printf("%s%d", b ? " " : "", vocab[a].point[b]);
    printf("\n");
  }
  return 0;
}
