// Four fast subgraphs for bench/gateway, shaped like the public gateway benchmark:
// accounts, products, inventory, reviews (Apollo's classic federation demo shape).
// Each memoizes its responses by request body: every gateway sends the same
// subgraph requests for the benchmark query, so the subgraphs answer from memory
// and are never the bottleneck. Usage: node subgraphs.mjs <port> <port> <port> <port>
// (accounts, products, inventory, reviews).
import { createServer } from "node:http";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { execute, parse, validate } from "graphql";

const USERS = Array.from({ length: 4 }, (_, i) => ({
  id: `u${i + 1}`, name: `User ${i + 1}`, username: `user${i + 1}`, birthday: 1970 + i,
}));
const PRODUCTS = Array.from({ length: 5 }, (_, i) => ({
  upc: `p${i + 1}`, name: `Product ${i + 1}`, price: 100 + i * 37, weight: 50 + i * 11,
}));
const REVIEWS = Array.from({ length: 10 }, (_, i) => ({
  id: `r${i + 1}`, body: `Review ${i + 1}: ${"solid, would buy again. ".repeat(2 + (i % 3))}`,
  authorId: USERS[i % USERS.length].id, upc: PRODUCTS[i % PRODUCTS.length].upc,
}));

const byId = (items, key) => Object.fromEntries(items.map((item) => [item[key], item]));
const users = byId(USERS, "id");
const products = byId(PRODUCTS, "upc");

const SUBGRAPHS = {
  accounts: {
    sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])
      type Query { me: User users: [User] }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }
    `,
    resolvers: {
      Query: { me: () => USERS[0], users: () => USERS },
      User: { __resolveReference: (ref) => users[ref.id] },
    },
  },
  products: {
    sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }
    `,
    resolvers: {
      Query: { topProducts: (_, { first }) => PRODUCTS.slice(0, first) },
      Product: { __resolveReference: (ref) => products[ref.upc] },
    },
  },
  inventory: {
    sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires"])
      type Product @key(fields: "upc") {
        upc: String! weight: Int @external price: Int @external
        inStock: Boolean shippingEstimate: Int @requires(fields: "price weight")
      }
    `,
    resolvers: {
      Product: {
        __resolveReference: (ref) => ({ ...ref, inStock: Number(ref.upc.slice(1)) % 3 !== 0 }),
        shippingEstimate: (p) => (p.price > 300 ? 0 : Math.round(p.weight * 0.5)),
      },
    },
  },
  reviews: {
    sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@provides"])
      type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }
    `,
    resolvers: {
      Review: {
        __resolveReference: (ref) => REVIEWS.find((r) => r.id === ref.id),
        author: (r) => ({ __typename: "User", id: r.authorId, username: users[r.authorId].username }),
        product: (r) => ({ __typename: "Product", upc: r.upc }),
      },
      User: { reviews: (u) => REVIEWS.filter((r) => r.authorId === u.id) },
      Product: { reviews: (p) => REVIEWS.filter((r) => r.upc === p.upc) },
    },
  },
};

function serve(name, { sdl, resolvers }, port) {
  const schema = buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers }]);
  const documents = new Map();
  const answers = new Map();
  createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      let answer = answers.get(body);
      if (answer === undefined) {
        const { query, variables, operationName } = JSON.parse(body);
        let document = documents.get(query);
        if (document === undefined) {
          document = parse(query);
          const errors = validate(schema, document);
          if (errors.length) {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ errors }));
            return;
          }
          documents.set(query, document);
        }
        answer = JSON.stringify(await execute({ schema, document, variableValues: variables, operationName }));
        if (answers.size < 10000) answers.set(body, answer);
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(answer);
    });
  }).listen(port, "127.0.0.1", () => process.stdout.write(`${name} on ${port}\n`));
}

const ports = process.argv.slice(2).map(Number);
Object.entries(SUBGRAPHS).forEach(([name, subgraph], i) => serve(name, subgraph, ports[i] ?? 4300 + i));
